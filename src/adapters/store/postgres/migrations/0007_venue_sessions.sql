-- 0007_venue_sessions (PostgreSQL): which instance runs a venue session that only one instance
-- may run at a time (a FIX session: the counterparty takes one logon per session). The holder
-- renews its row well before expires_at; another instance takes the row over only once it has
-- expired. acquired_at is when the current holder took it.

CREATE TABLE venue_sessions (
  venue       text        NOT NULL PRIMARY KEY,
  owner       text        NOT NULL,
  acquired_at timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL
);
