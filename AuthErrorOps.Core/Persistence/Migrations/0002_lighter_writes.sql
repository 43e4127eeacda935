-- Fewer row versions and index entries per event, and plans that stay cheap under a backlog
-- (docs/performance.md, "What changed on the evening of 2 December").

-- Nothing reads outbox rows by aggregate (the API joins on event_id), yet each of a row's three
-- versions (insert, claim, publish) paid an entry here.
DROP INDEX IF EXISTS ix_outbox_message_aggregate;

-- The lease index keeps an entry for every row claimed since the last vacuum. Its predicate was
-- status = 'PROCESSING', which the publish and release statements also state, so with statistics
-- from a quiet moment the planner walked this index (or intersected it with the primary key) to
-- find a batch's 20 rows: 6 ms per batch after 80,000 claims. Keyed on the lease itself, the index
-- serves the reaper (locked_until < now() implies IS NOT NULL) and nothing that finds rows by id.
-- The rows are the same: every transition out of PROCESSING clears locked_until.
DROP INDEX IF EXISTS ix_outbox_message_lease;
CREATE INDEX ix_outbox_message_lease ON outbox_message (locked_until) WHERE locked_until IS NOT NULL;

-- The consumer's RECEIVED → LINKED update touches no indexed column, so it can be a HOT update
-- (no new index entries, a small WAL record) when the row's page has room for the new version.
-- At the default fillfactor of 100 it never had: every link wrote a second full row elsewhere
-- and an entry in each of auth_error's five indexes. Half a page left free holds the update of
-- each row inserted into it; the table took that space anyway, as a dead version elsewhere.
ALTER TABLE auth_error SET (fillfactor = 50);
