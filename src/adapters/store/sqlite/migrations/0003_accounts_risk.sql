-- 0003_accounts_risk (SQLite): instruments, trader accounts (cash and reserved buying power),
-- positions, one reservation per working order, and risk settings (limits and trading states,
-- firm-wide and per trader). Amounts are exact decimal TEXT, computed by the store in decimal
-- arithmetic inside the committing transaction, which holds SQLite's write lock from BEGIN
-- IMMEDIATE: a reservation reads and writes the account with no other writer in between.

CREATE TABLE instruments (
  symbol          TEXT    NOT NULL PRIMARY KEY,
  lot_size        TEXT    NOT NULL,
  tick_size       TEXT    NOT NULL,
  reference_price TEXT    NOT NULL,
  tradable        INTEGER NOT NULL CHECK (tradable IN (0, 1)),
  updated_at      TEXT    NOT NULL
) STRICT;

CREATE TABLE accounts (
  trader_id  TEXT NOT NULL PRIMARY KEY,
  cash       TEXT NOT NULL,
  reserved   TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE positions (
  trader_id     TEXT NOT NULL,
  symbol        TEXT NOT NULL,
  quantity      TEXT NOT NULL,
  average_price TEXT NOT NULL,
  sell_reserved TEXT NOT NULL,
  realized_pnl  TEXT NOT NULL,
  pnl_day       TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  PRIMARY KEY (trader_id, symbol)
) STRICT, WITHOUT ROWID;

-- What a working order still holds: cash (buys) or position quantity (sells). Deleted when
-- the order is done, so the rows are the working orders' reservations and nothing else.
CREATE TABLE reservations (
  order_id           TEXT NOT NULL PRIMARY KEY,
  trader_id          TEXT NOT NULL,
  symbol             TEXT NOT NULL,
  side               TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
  unit_price         TEXT,
  remaining_quantity TEXT NOT NULL,
  cash_remaining     TEXT NOT NULL,
  position_remaining TEXT NOT NULL,
  created_at         TEXT NOT NULL
) STRICT;

CREATE INDEX reservations_by_trader ON reservations (trader_id, symbol);

-- key: 'limits:<scope>' (JSON of the fields that scope sets) or 'state:<scope>' (JSON string);
-- scope is '_firm' or a trader id.
CREATE TABLE risk_settings (
  key        TEXT NOT NULL PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL
) STRICT;

INSERT INTO risk_settings (key, value, updated_at, updated_by) VALUES
  ('limits:_firm', '{"max_order_quantity":"100000","max_order_notional":"1000000","price_collar_pct":"10","max_position":"1000000","daily_loss_limit":"50000","orders_per_second":200,"duplicate_window_ms":0,"restricted_symbols":[],"allow_short":false}', '1970-01-01T00:00:00.000Z', 'migration'),
  ('state:_firm', '"active"', '1970-01-01T00:00:00.000Z', 'migration');
