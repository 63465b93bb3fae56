-- 0006_fill_settlements (PostgreSQL): what each fill did to its trader's account, so that a
-- venue's bust or correction can undo exactly that. One row per settled fill, numbered per
-- position (trader, symbol) in the order the fills were applied, with the position just before
-- the fill (the checkpoint a bust or correction replays the later fills from) and what it
-- released of its order's reservation. A busted fill keeps its row, marked; a correction
-- rewrites quantity and price. Rows are written in the transaction that settles the fill.

ALTER TABLE positions ADD COLUMN last_movement integer NOT NULL DEFAULT 0;

CREATE TABLE fill_settlements (
  trader_id            text    NOT NULL,
  symbol               text    NOT NULL,
  ordinal              integer NOT NULL CHECK (ordinal > 0),
  venue                text    NOT NULL,
  venue_fill_id        text    NOT NULL,
  order_id             text    NOT NULL,
  side                 text    NOT NULL CHECK (side IN ('buy', 'sell')),
  quantity             numeric NOT NULL CHECK (quantity > 0),
  price                numeric NOT NULL,
  commission           numeric NOT NULL,
  trading_day          text    NOT NULL,
  released_cash        numeric NOT NULL CHECK (released_cash >= 0),
  released_position    numeric NOT NULL CHECK (released_position >= 0),
  before_quantity      numeric NOT NULL,
  before_average_price numeric NOT NULL,
  before_realized_pnl  numeric NOT NULL,
  before_pnl_day       text    NOT NULL,
  busted               integer NOT NULL DEFAULT 0 CHECK (busted IN (0, 1)),
  CONSTRAINT fill_settlements_pkey PRIMARY KEY (trader_id, symbol, ordinal)
);

-- Not unique: the fills table's own constraint refuses a replayed fill, as StoreConflict.
CREATE INDEX fill_settlements_by_fill ON fill_settlements (venue, venue_fill_id);
