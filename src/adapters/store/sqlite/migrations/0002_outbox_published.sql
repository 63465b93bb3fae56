-- 0002_outbox_published (SQLite): which outbox events have reached the bus. The committing
-- instance publishes right after commit and marks them in batches; the outbox relay publishes
-- whatever is still unmarked a moment later (the instance died, the bus was down). Events stored
-- before this migration were delivered by the in-process bus that wrote them: they count as published.

ALTER TABLE outbox ADD COLUMN published_at TEXT;

UPDATE outbox SET published_at = created_at;

-- The relay's scan: only unpublished rows, a small slice of the table, oldest first.
CREATE INDEX outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL;
