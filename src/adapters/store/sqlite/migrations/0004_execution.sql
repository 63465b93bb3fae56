-- 0004_execution (SQLite): durable dispatch intents (one per order still to be sent or settled
-- at its venue, leased to one executor at a time), venue configurations, routing rules, and
-- reconciliation runs, and busted fills. Timestamps are ISO 8601 UTC text, which compares correctly as text.

CREATE TABLE dispatch_intents (
  order_id         TEXT    NOT NULL PRIMARY KEY,
  venue            TEXT    NOT NULL,
  attempts         INTEGER NOT NULL CHECK (attempts >= 0),
  next_attempt_at  TEXT    NOT NULL,
  lease_owner      TEXT,
  lease_expires_at TEXT,
  in_doubt         INTEGER NOT NULL CHECK (in_doubt IN (0, 1)),
  last_error       TEXT,
  created_at       TEXT    NOT NULL,
  updated_at       TEXT    NOT NULL
) STRICT;

-- The executor's claim: due intents, oldest due first.
CREATE INDEX dispatch_intents_due ON dispatch_intents (next_attempt_at);

-- Orders already waiting for their venue when this migration runs may or may not have been
-- sent: attempts = 1 makes the executor look each one up before sending anything.
INSERT INTO dispatch_intents (order_id, venue, attempts, next_attempt_at, lease_owner, lease_expires_at, in_doubt, last_error, created_at, updated_at)
SELECT id, venue, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, NULL, 0, NULL, created_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM orders
WHERE status = 'pending' OR (status = 'pending_cancel' AND venue_order_id IS NULL);

CREATE TABLE venues (
  name       TEXT    NOT NULL PRIMARY KEY,
  kind       TEXT    NOT NULL,
  settings   TEXT    NOT NULL,
  active     INTEGER NOT NULL CHECK (active IN (0, 1)),
  updated_at TEXT    NOT NULL
) STRICT;

CREATE TABLE routing_rules (
  id        TEXT    NOT NULL PRIMARY KEY,
  priority  INTEGER NOT NULL,
  symbol    TEXT,
  trader_id TEXT,
  venue     TEXT    NOT NULL
) STRICT;

CREATE TABLE reconciliation_runs (
  id           TEXT    NOT NULL PRIMARY KEY,
  venue        TEXT    NOT NULL,
  trigger      TEXT    NOT NULL CHECK (trigger IN ('start', 'periodic', 'stream_restored')),
  started_at   TEXT    NOT NULL,
  finished_at  TEXT    NOT NULL,
  status       TEXT    NOT NULL CHECK (status IN ('ok', 'failed')),
  examined     INTEGER NOT NULL,
  drift        INTEGER NOT NULL,
  details      TEXT    NOT NULL,
  fills_cursor TEXT,
  error        TEXT
) STRICT;

CREATE INDEX reconciliation_runs_latest ON reconciliation_runs (venue, started_at);

-- Busts and corrections of fills, one row per venue message (its own id), so a replayed message
-- is a duplicate. A busted fill's row stays in fills (a replay of the fill is still a duplicate)
-- but no longer counts; a correction rewrites the fill row; the audit trail keeps the old values.
CREATE TABLE fill_adjustments (
  venue         TEXT NOT NULL,
  adjustment_id TEXT NOT NULL,
  venue_fill_id TEXT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('bust', 'correction')),
  at            TEXT NOT NULL,
  PRIMARY KEY (venue, adjustment_id)
) STRICT;

CREATE INDEX fill_adjustments_by_fill ON fill_adjustments (venue, venue_fill_id);
