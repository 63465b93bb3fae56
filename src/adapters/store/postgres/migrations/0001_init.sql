-- 0001_init (PostgreSQL): orders, fills, the append-only audit trail and its head, idempotency
-- keys, and the per-trader event outbox. Decimals are NUMERIC without a fixed scale (exact, and
-- pg returns them as the same string); timestamps are timestamptz. Constraint names are stable:
-- the adapter maps unique violations to StoreConflict kinds by name.
-- Everything is created in the first schema of the connection's search_path.

CREATE TABLE orders (
  id              text        NOT NULL,
  client_order_id text        NOT NULL,
  trader_id       text        NOT NULL,
  symbol          text        NOT NULL,
  side            text        NOT NULL CHECK (side IN ('buy', 'sell')),
  type            text        NOT NULL CHECK (type IN ('market', 'limit', 'stop', 'stop_limit')),
  time_in_force   text        NOT NULL CHECK (time_in_force IN ('day', 'gtc', 'ioc', 'fok')),
  quantity        numeric     NOT NULL,
  limit_price     numeric,
  stop_price      numeric,
  venue           text        NOT NULL,
  batch_id        text,
  status          text        NOT NULL CHECK (status IN ('pending', 'acked', 'partially_filled', 'filled', 'settled',
                                                         'pending_cancel', 'cancelled', 'rejected', 'expired')),
  venue_order_id  text,
  filled_quantity numeric     NOT NULL,
  filled_notional numeric     NOT NULL,
  reason          text,
  version         integer     NOT NULL CHECK (version > 0),
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  CONSTRAINT orders_pkey PRIMARY KEY (id),
  CONSTRAINT orders_client_order_id_key UNIQUE (trader_id, client_order_id)
);

-- The trader's listing, newest first (ids are UUIDv7), with and without a status or symbol filter.
CREATE INDEX orders_trader_newest ON orders (trader_id, id DESC);
CREATE INDEX orders_trader_status ON orders (trader_id, status, id DESC);
CREATE INDEX orders_trader_symbol ON orders (trader_id, symbol, id DESC);
-- Working orders (recovery, reconciliation, the kill switch: status IN four working statuses,
-- a small slice of the table) and the counts by status.
CREATE INDEX orders_by_status ON orders (status);

CREATE TABLE fills (
  id             text        NOT NULL,
  order_id       text        NOT NULL,
  venue          text        NOT NULL,
  venue_fill_id  text        NOT NULL,
  venue_order_id text        NOT NULL,
  quantity       numeric     NOT NULL,
  price          numeric     NOT NULL,
  commission     numeric     NOT NULL,
  filled_at      timestamptz NOT NULL,
  CONSTRAINT fills_pkey PRIMARY KEY (id),
  CONSTRAINT fills_order_fkey FOREIGN KEY (order_id) REFERENCES orders (id),
  CONSTRAINT fills_venue_fill_id_key UNIQUE (venue, venue_fill_id)
);

CREATE INDEX fills_by_order ON fills (order_id, filled_at);

-- The audit trail. seq is assigned by the store from audit_head, locked FOR UPDATE in the
-- writing transaction (not a sequence, which leaves gaps on rollback);
-- hash = sha256(prev_hash + canonical row).
CREATE TABLE order_events (
  seq       bigint      NOT NULL CHECK (seq > 0),
  id        text        NOT NULL,
  order_id  text        NOT NULL,
  trader_id text        NOT NULL,
  kind      text        NOT NULL,
  payload   text        NOT NULL,
  at        timestamptz NOT NULL,
  prev_hash text        NOT NULL,
  hash      text        NOT NULL,
  CONSTRAINT order_events_pkey PRIMARY KEY (seq),
  CONSTRAINT order_events_id_key UNIQUE (id)
);

CREATE INDEX order_events_by_order ON order_events (order_id, seq);

CREATE FUNCTION order_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'order_events is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER order_events_no_update BEFORE UPDATE ON order_events
  FOR EACH ROW EXECUTE FUNCTION order_events_append_only();
CREATE TRIGGER order_events_no_delete BEFORE DELETE ON order_events
  FOR EACH ROW EXECUTE FUNCTION order_events_append_only();
CREATE TRIGGER order_events_no_truncate BEFORE TRUNCATE ON order_events
  FOR EACH STATEMENT EXECUTE FUNCTION order_events_append_only();

CREATE TABLE audit_head (
  id   integer NOT NULL CHECK (id = 1),
  seq  bigint  NOT NULL,
  hash text    NOT NULL,
  CONSTRAINT audit_head_pkey PRIMARY KEY (id)
);

INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE idempotency_keys (
  trader_id    text        NOT NULL,
  key          text        NOT NULL,
  request_hash text        NOT NULL,
  status_code  integer     NOT NULL,
  body         text        NOT NULL,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (trader_id, key)
);

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- Per-trader stream seq counters: upserted (last_seq += n) in the committing transaction.
CREATE TABLE trader_streams (
  trader_id text   NOT NULL,
  last_seq  bigint NOT NULL CHECK (last_seq > 0),
  CONSTRAINT trader_streams_pkey PRIMARY KEY (trader_id)
);

CREATE TABLE outbox (
  trader_id  text        NOT NULL,
  seq        bigint      NOT NULL CHECK (seq > 0),
  event_id   text        NOT NULL,
  payload    text        NOT NULL,
  created_at timestamptz NOT NULL,
  CONSTRAINT outbox_pkey PRIMARY KEY (trader_id, seq),
  CONSTRAINT outbox_event_id_key UNIQUE (event_id)
);
