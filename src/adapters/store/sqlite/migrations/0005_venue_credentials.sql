-- 0005_venue_credentials (SQLite): each venue's broker credentials, sealed. A row holds the
-- AES-256-GCM sealed JSON of the credential fields (v1.<nonce>.<tag>.<ciphertext>), opened
-- only with the row's own id and venue as associated data, and the fingerprint of the key it
-- was sealed under. Plaintext is never stored; the field names are, so an operator can see
-- what is set without seeing it.

CREATE TABLE venue_credentials (
  venue           TEXT NOT NULL PRIMARY KEY,
  id              TEXT NOT NULL UNIQUE,
  sealed          TEXT NOT NULL CHECK (sealed LIKE 'v1.%'),
  key_fingerprint TEXT NOT NULL,
  fields          TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  updated_by      TEXT NOT NULL
) STRICT;
