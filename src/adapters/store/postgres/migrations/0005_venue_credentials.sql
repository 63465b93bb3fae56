-- 0005_venue_credentials (PostgreSQL): each venue's broker credentials, sealed. A row holds the
-- AES-256-GCM sealed JSON of the credential fields (v1.<nonce>.<tag>.<ciphertext>), opened
-- only with the row's own id and venue as associated data, and the fingerprint of the key it
-- was sealed under. Plaintext is never stored; the field names are, so an operator can see
-- what is set without seeing it.

CREATE TABLE venue_credentials (
  venue           text        NOT NULL,
  id              text        NOT NULL,
  sealed          text        NOT NULL CHECK (sealed LIKE 'v1.%'),
  key_fingerprint text        NOT NULL,
  fields          text        NOT NULL,
  updated_at      timestamptz NOT NULL,
  updated_by      text        NOT NULL,
  CONSTRAINT venue_credentials_pkey PRIMARY KEY (venue),
  CONSTRAINT venue_credentials_id_key UNIQUE (id)
);
