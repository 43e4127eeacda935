-- auth_error_cluster_item keeps its keys but no foreign keys (docs/decisions.md, "Cluster items have no foreign keys").
-- Each checked every linked error twice, row by row: two trigger queries at the end of the link statement, each
-- locking the parent row FOR KEY SHARE (a WAL record each; a MultiXact on the cluster rows every batch shares). At
-- 3,000 events/s they were 6 % of PostgreSQL's CPU samples; linking 200,000 queued events took PostgreSQL 12.0 s of
-- CPU with them and 8.6 s without (docs/performance.md, "Night of 4-5 December"). The only writer, ClusterLinker,
-- takes both ids from rows it read or created in the same statement and transaction, and nothing deletes errors or
-- clusters, so the checks could never fail; ON DELETE CASCADE had nothing to cascade.
ALTER TABLE auth_error_cluster_item
    DROP CONSTRAINT IF EXISTS auth_error_cluster_item_cluster_id_fkey,
    DROP CONSTRAINT IF EXISTS auth_error_cluster_item_auth_error_id_fkey;
