-- 0003_accounts_risk (PostgreSQL): instruments, trader accounts (cash and reserved buying
-- power), positions, one reservation per working order, and risk settings (limits and trading
-- states, firm-wide and per trader). Amounts are NUMERIC. The committing transaction locks the
-- account, position and reservation rows it changes FOR UPDATE before it checks them, so a
-- reservation is checked against values no other transaction can change until it commits.

CREATE TABLE instruments (
  symbol          text        NOT NULL,
  lot_size        numeric     NOT NULL CHECK (lot_size > 0),
  tick_size       numeric     NOT NULL CHECK (tick_size > 0),
  reference_price numeric     NOT NULL CHECK (reference_price > 0),
  tradable        integer     NOT NULL CHECK (tradable IN (0, 1)),
  updated_at      timestamptz NOT NULL,
  CONSTRAINT instruments_pkey PRIMARY KEY (symbol)
);

CREATE TABLE accounts (
  trader_id  text        NOT NULL,
  cash       numeric     NOT NULL,
  reserved   numeric     NOT NULL CHECK (reserved >= 0),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT accounts_pkey PRIMARY KEY (trader_id)
);

CREATE TABLE positions (
  trader_id     text        NOT NULL,
  symbol        text        NOT NULL,
  quantity      numeric     NOT NULL,
  average_price numeric     NOT NULL,
  sell_reserved numeric     NOT NULL CHECK (sell_reserved >= 0),
  realized_pnl  numeric     NOT NULL,
  pnl_day       text        NOT NULL,
  updated_at    timestamptz NOT NULL,
  CONSTRAINT positions_pkey PRIMARY KEY (trader_id, symbol)
);

-- What a working order still holds: cash (buys) or position quantity (sells). Deleted when
-- the order is done, so the rows are the working orders' reservations and nothing else.
CREATE TABLE reservations (
  order_id           text        NOT NULL,
  trader_id          text        NOT NULL,
  symbol             text        NOT NULL,
  side               text        NOT NULL CHECK (side IN ('buy', 'sell')),
  unit_price         numeric,
  remaining_quantity numeric     NOT NULL,
  cash_remaining     numeric     NOT NULL CHECK (cash_remaining >= 0),
  position_remaining numeric     NOT NULL CHECK (position_remaining >= 0),
  created_at         timestamptz NOT NULL,
  CONSTRAINT reservations_pkey PRIMARY KEY (order_id)
);

CREATE INDEX reservations_by_trader ON reservations (trader_id, symbol);

-- key: 'limits:<scope>' (JSON of the fields that scope sets) or 'state:<scope>' (JSON string);
-- scope is '_firm' or a trader id.
CREATE TABLE risk_settings (
  key        text        NOT NULL,
  value      text        NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_by text        NOT NULL,
  CONSTRAINT risk_settings_pkey PRIMARY KEY (key)
);

INSERT INTO risk_settings (key, value, updated_at, updated_by) VALUES
  ('limits:_firm', '{"max_order_quantity":"100000","max_order_notional":"1000000","price_collar_pct":"10","max_position":"1000000","daily_loss_limit":"50000","orders_per_second":200,"duplicate_window_ms":0,"restricted_symbols":[],"allow_short":false}', '1970-01-01T00:00:00.000Z', 'migration'),
  ('state:_firm', '"active"', '1970-01-01T00:00:00.000Z', 'migration');
