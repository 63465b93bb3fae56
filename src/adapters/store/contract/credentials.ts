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
  });
}
