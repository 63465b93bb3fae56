-- A statement of a pipelined commit (hotStatements.ts) that must change a row, such as an order
-- update fenced on its version, fails the transaction itself when it changed none. The commit's
-- COMMIT can then go out right behind its statements instead of after their answers: had a
-- fence not held, the transaction is already aborted and that COMMIT only rolls it back.
-- SQLSTATE OGC01 carries the conflict kind in HINT; the store maps it to a StoreConflict.
CREATE FUNCTION ordergate_expect_change(changed boolean, conflict text, detail text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT changed THEN
    RAISE EXCEPTION USING ERRCODE = 'OGC01', MESSAGE = detail, HINT = conflict;
  END IF;
END
$$;
