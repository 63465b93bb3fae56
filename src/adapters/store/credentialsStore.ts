/**
 * The VenueCredentialStore over Kysely, for both dialects (0005_venue_credentials): one row per
 * venue, holding only what the vault sealed. A put replaces the venue's row in one statement.
 */
import type { Kysely, Selectable } from 'kysely';
import type { SealedVenueCredentials, VenueCredentialStore } from '../../ports/venueCredentials.ts';
import { toDate } from './rows.ts';
import type { StoreSchema, Timestamp } from './schema.ts';

type Run = <T>(work: () => Promise<T>) => Promise<T>;

export interface VenueCredentialsTable {
  venue: string;
  id: string;
  sealed: string;
  key_fingerprint: string;
  /** JSON text: the field names. */
  fields: string;
  updated_at: Timestamp;
  updated_by: string;
}

export interface CredentialTables {
  venue_credentials: VenueCredentialsTable;
}

const fromRow = (row: Selectable<VenueCredentialsTable>): SealedVenueCredentials => ({
  venue: row.venue, id: row.id, sealed: row.sealed, keyFingerprint: row.key_fingerprint,
  fields: JSON.parse(row.fields) as string[], updatedAt: toDate(row.updated_at), updatedBy: row.updated_by,
});

/** Thrown inside replaceAll's transaction to roll it back when a row is not what the caller read. */
class RowChanged extends Error {}

export function createCredentialStore(db: Kysely<StoreSchema>, run: Run): VenueCredentialStore {
  return {
    put: (record) => run(async () => {
      const row = {
        venue: record.venue, id: record.id, sealed: record.sealed, key_fingerprint: record.keyFingerprint,
        fields: JSON.stringify(record.fields), updated_at: record.updatedAt.toISOString(), updated_by: record.updatedBy,
      };
      await db.transaction().execute((trx) => trx.insertInto('venue_credentials').values(row)
        .onConflict((conflict) => conflict.column('venue').doUpdateSet({
          id: row.id, sealed: row.sealed, key_fingerprint: row.key_fingerprint, fields: row.fields, updated_at: row.updated_at, updated_by: row.updated_by,
        }))
        .execute());
    }),
    find: (venue) => run(async () => {
      const row = await db.selectFrom('venue_credentials').selectAll().where('venue', '=', venue).executeTakeFirst();
      return row ? fromRow(row) : null;
    }),
    list: () => run(async () => (await db.selectFrom('venue_credentials').selectAll().orderBy('venue').execute()).map(fromRow)),
    replaceAll: (changes) => run(async () => {
      if (changes.length === 0) return true;
      try {
        await db.transaction().execute(async (trx) => {
          for (const { record, replacesId } of changes) {
            const result = await trx.updateTable('venue_credentials').set({
              id: record.id, sealed: record.sealed, key_fingerprint: record.keyFingerprint, fields: JSON.stringify(record.fields),
              updated_at: record.updatedAt.toISOString(), updated_by: record.updatedBy,
            }).where('venue', '=', record.venue).where('id', '=', replacesId).executeTakeFirst();
            if (Number(result.numUpdatedRows) !== 1) throw new RowChanged();
          }
        });
        return true;
      } catch (error) {
        if (error instanceof RowChanged) return false;
        throw error;
      }
    }),
    remove: (venue) => run(async () => {
      const result = await db.transaction().execute((trx) => trx.deleteFrom('venue_credentials').where('venue', '=', venue).executeTakeFirst());
      return Number(result.numDeletedRows) > 0;
    }),
  };
}
