-- 0004_execution (PostgreSQL): durable dispatch intents (one per order still to be sent or
-- settled at its venue, leased to one executor at a time; claimed FOR UPDATE SKIP LOCKED),
-- venue configurations, routing rules, and reconciliation runs. Flags are 0/1 integers, as on
-- SQLite, so both dialects read and write them the same way.

CREATE TABLE dispatch_intents (
  order_id         text        NOT NULL,
  venue            text        NOT NULL,
  attempts         integer     NOT NULL CHECK (attempts >= 0),
  next_attempt_at  timestamptz NOT NULL,
  lease_owner      text,
  lease_expires_at timestamptz,
  in_doubt         smallint    NOT NULL CHECK (in_doubt IN (0, 1)),
  last_error       text,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  CONSTRAINT dispatch_intents_pkey PRIMARY KEY (order_id)
);

-- The executor's claim: due intents, oldest due first.
CREATE INDEX dispatch_intents_due ON dispatch_intents (next_attempt_at);

-- Orders already waiting for their venue when this migration runs may or may not have been
-- sent: attempts = 1 makes the executor look each one up before sending anything.
INSERT INTO dispatch_intents (order_id, venue, attempts, next_attempt_at, lease_owner, lease_expires_at, in_doubt, last_error, created_at, updated_at)
SELECT id, venue, 1, now(), NULL, NULL, 0, NULL, created_at, now()
FROM orders
WHERE status = 'pending' OR (status = 'pending_cancel' AND venue_order_id IS NULL);

CREATE TABLE venues (
  name       text        NOT NULL,
  kind       text        NOT NULL,
  settings   text        NOT NULL,
  active     smallint    NOT NULL CHECK (active IN (0, 1)),
  updated_at timestamptz NOT NULL,
  CONSTRAINT venues_pkey PRIMARY KEY (name)
);

CREATE TABLE routing_rules (
  id        text    NOT NULL,
  priority  integer NOT NULL,
  symbol    text,
  trader_id text,
  venue     text    NOT NULL,
  CONSTRAINT routing_rules_pkey PRIMARY KEY (id)
);

CREATE TABLE reconciliation_runs (
  id           text        NOT NULL,
  venue        text        NOT NULL,
  trigger      text        NOT NULL CHECK (trigger IN ('start', 'periodic', 'stream_restored')),
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz NOT NULL,
  status       text        NOT NULL CHECK (status IN ('ok', 'failed')),
  examined     integer     NOT NULL,
  drift        integer     NOT NULL,
  details      text        NOT NULL,
  fills_cursor text,
  error        text,
  CONSTRAINT reconciliation_runs_pkey PRIMARY KEY (id)
);

CREATE INDEX reconciliation_runs_latest ON reconciliation_runs (venue, started_at);

-- Busts and corrections of fills, one row per venue message (its own id), so a replayed message
-- is a duplicate. A busted fill's row stays in fills (a replay of the fill is still a duplicate)
-- but no longer counts; a correction rewrites the fill row; the audit trail keeps the old values.
CREATE TABLE fill_adjustments (
  venue         text        NOT NULL,
  adjustment_id text        NOT NULL,
  venue_fill_id text        NOT NULL,
  kind          text        NOT NULL CHECK (kind IN ('bust', 'correction')),
  at            timestamptz NOT NULL,
  CONSTRAINT fill_adjustments_pkey PRIMARY KEY (venue, adjustment_id)
);

CREATE INDEX fill_adjustments_by_fill ON fill_adjustments (venue, venue_fill_id);
