-- 0006_fill_settlements (SQLite): what each fill did to its trader's account, so that a
-- venue's bust or correction can undo exactly that. One row per settled fill, numbered per
-- position (trader, symbol) in the order the fills were applied, with the position just before
-- the fill (the checkpoint a bust or correction replays the later fills from) and what it
-- released of its order's reservation. A busted fill keeps its row, marked; a correction
-- rewrites quantity and price. Amounts are exact decimal TEXT, as in 0003.

ALTER TABLE positions ADD COLUMN last_movement INTEGER NOT NULL DEFAULT 0;

CREATE TABLE fill_settlements (
  trader_id            TEXT    NOT NULL,
  symbol               TEXT    NOT NULL,
  ordinal              INTEGER NOT NULL CHECK (ordinal > 0),
  venue                TEXT    NOT NULL,
  venue_fill_id        TEXT    NOT NULL,
  order_id             TEXT    NOT NULL,
  side                 TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
  quantity             TEXT    NOT NULL,
  price                TEXT    NOT NULL,
  commission           TEXT    NOT NULL,
  trading_day          TEXT    NOT NULL,
  released_cash        TEXT    NOT NULL,
  released_position    TEXT    NOT NULL,
  before_quantity      TEXT    NOT NULL,
  before_average_price TEXT    NOT NULL,
  before_realized_pnl  TEXT    NOT NULL,
  before_pnl_day       TEXT    NOT NULL,
  busted               INTEGER NOT NULL DEFAULT 0 CHECK (busted IN (0, 1)),
  PRIMARY KEY (trader_id, symbol, ordinal)
) STRICT, WITHOUT ROWID;

-- Not unique: the fills table's own constraint refuses a replayed fill, as StoreConflict.
CREATE INDEX fill_settlements_by_fill ON fill_settlements (venue, venue_fill_id);
