-- Indexes no query of ours reads (docs/decisions.md, "auth_error keeps only the indexes its queries use").
-- Each cost every report a B-tree insert: the stack_hash one a wide key (char(64)) shared by every error of a
-- cluster, kept in posting lists that are rewritten as they grow. Errors are found by id, by request_id, by
-- event_id, or per cluster through auth_error_cluster_item.
DROP INDEX IF EXISTS ix_auth_error_stack_hash;
DROP INDEX IF EXISTS ix_auth_error_received_at;
