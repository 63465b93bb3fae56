/**
 * Contract section: venue credentials. Rows round-trip as sealed, a put replaces the venue's
 * row whole, removal says whether there was one, and the database refuses what is not a
 * sealed value, so a bug that passes plaintext fails loudly instead of storing it.
 */
import { describe, expect, it } from 'vitest';
import type { SealedVenueCredentials } from '../../../ports/venueCredentials.ts';
import { useMigratedStore, type MakeStore } from './context.ts';
import { later, T0 } from './fixtures.ts';

const sealedRow = (venue: string, id: string, overrides: Partial<SealedVenueCredentials> = {}): SealedVenueCredentials => ({
  venue, id, sealed: `v1.nonce-${id}.tag.ciphertext`, keyFingerprint: '0123456789abcdef', fields: ['api_key', 'access_token'],
  updatedAt: T0, updatedBy: 'ops', ...overrides,
});

export function describeCredentialsContract(makeStore: MakeStore): void {
  describe('venue credentials', () => {
    const ctx = useMigratedStore(makeStore);

    it('given sealed credentials, when stored, then they read back exactly; another venue has none', async () => {
      const row = sealedRow('kite', 'row-1');
      await ctx.store.credentials.put(row);
      expect(await ctx.store.credentials.find('kite')).toEqual(row);
      expect(await ctx.store.credentials.find('alpaca')).toBeNull();
    });

    it('given a venue with credentials, when put again, then the row is replaced whole (new id, value, fields, time)', async () => {
      await ctx.store.credentials.put(sealedRow('kite', 'row-1'));
      const replacement = sealedRow('kite', 'row-2', { fields: ['api_key', 'access_token', 'api_secret'], updatedAt: later(60), updatedBy: 'admin-2' });
      await ctx.store.credentials.put(replacement);
      expect(await ctx.store.credentials.find('kite')).toEqual(replacement);
    });

    it('given credentials, when removed, then they are gone and a second removal says there was nothing', async () => {
      await ctx.store.credentials.put(sealedRow('kite', 'row-1'));
      expect(await ctx.store.credentials.remove('kite')).toBe(true);
      expect(await ctx.store.credentials.find('kite')).toBeNull();
      expect(await ctx.store.credentials.remove('kite')).toBe(false);
    });

    it('given a value that is not sealed, or a row id another venue has, then the database refuses it', async () => {
      await expect(ctx.store.credentials.put(sealedRow('kite', 'row-1', { sealed: 'plain-access-token' }))).rejects.toThrow();
      expect(await ctx.store.credentials.find('kite')).toBeNull();
      await ctx.store.credentials.put(sealedRow('kite', 'row-1'));
      await expect(ctx.store.credentials.put(sealedRow('alpaca', 'row-1'))).rejects.toThrow();
      expect(await ctx.store.credentials.find('alpaca')).toBeNull();
    });

    it('given rows of two venues, then list gives both by venue; replaceAll writes all of them while their ids are as read', async () => {
      await ctx.store.credentials.put(sealedRow('kite', 'row-k1'));
      await ctx.store.credentials.put(sealedRow('alpaca', 'row-a1'));
      expect((await ctx.store.credentials.list()).map((row) => [row.venue, row.id])).toEqual([['alpaca', 'row-a1'], ['kite', 'row-k1']]);
      const kite = sealedRow('kite', 'row-k2', { keyFingerprint: 'fedcba9876543210' });
      const alpaca = sealedRow('alpaca', 'row-a2', { keyFingerprint: 'fedcba9876543210' });
      expect(await ctx.store.credentials.replaceAll([{ record: kite, replacesId: 'row-k1' }, { record: alpaca, replacesId: 'row-a1' }])).toBe(true);
      expect(await ctx.store.credentials.list()).toEqual([alpaca, kite]);
    });

    it('given one row changed since it was read, then replaceAll writes none of them and says so', async () => {
      await ctx.store.credentials.put(sealedRow('kite', 'row-k1'));
      await ctx.store.credentials.put(sealedRow('alpaca', 'row-a1'));
      await ctx.store.credentials.put(sealedRow('alpaca', 'row-a9'));
      const before = await ctx.store.credentials.list();
      expect(await ctx.store.credentials.replaceAll([
        { record: sealedRow('kite', 'row-k2'), replacesId: 'row-k1' },
        { record: sealedRow('alpaca', 'row-a2'), replacesId: 'row-a1' },
      ])).toBe(false);
      expect(await ctx.store.credentials.list()).toEqual(before);
    });
  });
}