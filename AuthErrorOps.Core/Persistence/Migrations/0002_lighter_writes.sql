-- Fewer row versions and index entries per event, and plans that stay cheap under a backlog
-- (docs/performance.md, "What changed on the evening of 2 December").

-- Nothing reads outbox rows by aggregate (the API joins on event_id), yet each of a row's three
-- versions (insert, claim, publish) paid an entry here.
DROP INDEX IF EXISTS ix_outbox_message_aggregate;

-- A lease and PROCESSING go together, both ways: every transition out of PROCESSING clears the
-- owner and the lease. The transitions out of PROCESSING rely on it: they find their rows by id
-- and owner alone (OutboxStore).
ALTER TABLE outbox_message
    DROP CONSTRAINT ck_outbox_message_lease,
    ADD CONSTRAINT ck_outbox_message_lease CHECK (
        (status = 'PROCESSING') = (locked_by IS NOT NULL) AND (status = 'PROCESSING') = (locked_until IS NOT NULL));

-- The consumer's RECEIVED → LINKED update touches no indexed column, so it can be a HOT update
-- (no new index entries, a small WAL record) when the row's page has room for the new version.
-- At the default fillfactor of 100 it never had: every link wrote a second full row elsewhere
-- and an entry in each of auth_error's five indexes. Half a page left free holds the update of
-- each row inserted into it; the table took that space anyway, as a dead version elsewhere.
ALTER TABLE auth_error SET (fillfactor = 50);
