-- 0008_instances (SQLite): the names of the running gateway instances (ORDERGATE_INSTANCE_ID).
-- A name leases dispatch intents and venue sessions, so two live processes must never share
-- one: each start claims its name with a token of its own and keeps seen_at fresh; a start
-- finding the name held by another token seen recently refuses to run.

CREATE TABLE instances (
  name       TEXT NOT NULL PRIMARY KEY,
  token      TEXT NOT NULL,
  started_at TEXT NOT NULL,
  seen_at    TEXT NOT NULL
) STRICT;
