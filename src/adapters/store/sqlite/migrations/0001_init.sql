-- 0001_init (SQLite): orders, fills, the append-only audit trail and its head, idempotency
-- keys, and the per-trader event outbox. STRICT tables: decimals are TEXT and can never be
-- coerced to a floating-point REAL; timestamps are ISO 8601 UTC text with milliseconds, which
-- sorts and compares correctly as text.

CREATE TABLE orders (
  id              TEXT    NOT NULL PRIMARY KEY,
  client_order_id TEXT    NOT NULL,
  trader_id       TEXT    NOT NULL,
  symbol          TEXT    NOT NULL,
  side            TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
  type            TEXT    NOT NULL CHECK (type IN ('market', 'limit', 'stop', 'stop_limit')),
  time_in_force   TEXT    NOT NULL CHECK (time_in_force IN ('day', 'gtc', 'ioc', 'fok')),
  quantity        TEXT    NOT NULL,
  limit_price     TEXT,
  stop_price      TEXT,
  venue           TEXT    NOT NULL,
  batch_id        TEXT,
  status          TEXT    NOT NULL CHECK (status IN ('pending', 'acked', 'partially_filled', 'filled', 'settled',
                                                     'pending_cancel', 'cancelled', 'rejected', 'expired')),
  venue_order_id  TEXT,
  filled_quantity TEXT    NOT NULL,
  filled_notional TEXT    NOT NULL,
  reason          TEXT,
  version         INTEGER NOT NULL CHECK (version > 0),
  created_at      TEXT    NOT NULL,
  updated_at      TEXT    NOT NULL,
  UNIQUE (trader_id, client_order_id)
) STRICT;

-- The trader's listing, newest first (ids are UUIDv7), with and without a status or symbol filter.
CREATE INDEX orders_trader_newest ON orders (trader_id, id DESC);
CREATE INDEX orders_trader_status ON orders (trader_id, status, id DESC);
CREATE INDEX orders_trader_symbol ON orders (trader_id, symbol, id DESC);
-- Working orders (recovery, reconciliation, the kill switch: status IN four working statuses,
-- a small slice of the table) and the counts by status.
CREATE INDEX orders_by_status ON orders (status);

CREATE TABLE fills (
  id             TEXT NOT NULL PRIMARY KEY,
  order_id       TEXT NOT NULL REFERENCES orders (id),
  venue          TEXT NOT NULL,
  venue_fill_id  TEXT NOT NULL,
  venue_order_id TEXT NOT NULL,
  quantity       TEXT NOT NULL,
  price          TEXT NOT NULL,
  commission     TEXT NOT NULL,
  filled_at      TEXT NOT NULL,
  UNIQUE (venue, venue_fill_id)
) STRICT;

CREATE INDEX fills_by_order ON fills (order_id, filled_at);

-- The audit trail. seq is assigned by the store from audit_head inside the writing transaction
-- (not AUTOINCREMENT), so it has no gaps; hash = sha256(prev_hash + canonical row).
CREATE TABLE order_events (
  seq       INTEGER NOT NULL PRIMARY KEY CHECK (seq > 0),
  id        TEXT    NOT NULL UNIQUE,
  order_id  TEXT    NOT NULL,
  trader_id TEXT    NOT NULL,
  kind      TEXT    NOT NULL,
  payload   TEXT    NOT NULL,
  at        TEXT    NOT NULL,
  prev_hash TEXT    NOT NULL,
  hash      TEXT    NOT NULL
) STRICT;

CREATE INDEX order_events_by_order ON order_events (order_id, seq);

CREATE TRIGGER order_events_no_update BEFORE UPDATE ON order_events
BEGIN
  SELECT RAISE(ABORT, 'order_events is append-only: UPDATE refused');
END;

CREATE TRIGGER order_events_no_delete BEFORE DELETE ON order_events
BEGIN
  SELECT RAISE(ABORT, 'order_events is append-only: DELETE refused');
END;

CREATE TABLE audit_head (
  id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  seq  INTEGER NOT NULL,
  hash TEXT    NOT NULL
) STRICT;

INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE idempotency_keys (
  trader_id    TEXT    NOT NULL,
  key          TEXT    NOT NULL,
  request_hash TEXT    NOT NULL,
  status_code  INTEGER NOT NULL,
  body         TEXT    NOT NULL,
  created_at   TEXT    NOT NULL,
  expires_at   TEXT    NOT NULL,
  PRIMARY KEY (trader_id, key)
) STRICT;

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- Per-trader stream seq counters: upserted (last_seq += n) in the committing transaction.
CREATE TABLE trader_streams (
  trader_id TEXT    NOT NULL PRIMARY KEY,
  last_seq  INTEGER NOT NULL CHECK (last_seq > 0)
) STRICT;

CREATE TABLE outbox (
  trader_id  TEXT    NOT NULL,
  seq        INTEGER NOT NULL CHECK (seq > 0),
  event_id   TEXT    NOT NULL UNIQUE,
  payload    TEXT    NOT NULL,
  created_at TEXT    NOT NULL,
  PRIMARY KEY (trader_id, seq)
) STRICT, WITHOUT ROWID;
