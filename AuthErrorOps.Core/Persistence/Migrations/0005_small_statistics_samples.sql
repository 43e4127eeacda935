-- ANALYZE reads 300 rows per unit of the largest statistics target among a table's columns: 30,000 rows at the
-- default of 100. Every query of ours reads these tables by key (id, request_id, event_id, (consumer, event_id),
-- (cluster_id, ...)) or through a partial index on status, so no plan needs more than a coarse picture. Yet
-- autovacuum analysed auth_error and outbox_message about once a minute while they grew at 3,000 events/s, and under
-- that load one ANALYZE took 3.0-3.6 s (auth_error: a 30,000-row sample of 1.7-KB rows) and 2.4-2.5 s (outbox_message,
-- mostly comparing 30,000 jsonb payloads); with these targets autovacuum's passes took 0.2-0.7 s
-- (docs/performance.md, "Night of 4-5 December"). Every column has a target of 10 (a 3,000-row sample), and the
-- wide free-text, hash and payload columns, which no query filters, joins, groups or sorts by, have none.
-- A column added later must set its own target, or the samples grow back to 30,000 rows (SchemaMigrationTests).

ALTER TABLE auth_error
    ALTER COLUMN id SET STATISTICS 10,
    ALTER COLUMN request_id SET STATISTICS 10,
    ALTER COLUMN event_id SET STATISTICS 10,
    ALTER COLUMN request_hash SET STATISTICS 0,
    ALTER COLUMN occurred_at SET STATISTICS 10,
    ALTER COLUMN received_at SET STATISTICS 10,
    ALTER COLUMN source_service SET STATISTICS 10,
    ALTER COLUMN environment SET STATISTICS 10,
    ALTER COLUMN http_status SET STATISTICS 10,
    ALTER COLUMN error_type SET STATISTICS 10,
    ALTER COLUMN severity SET STATISTICS 10,
    ALTER COLUMN security_signal SET STATISTICS 10,
    ALTER COLUMN exception_class SET STATISTICS 10,
    ALTER COLUMN exception_message SET STATISTICS 0,
    ALTER COLUMN root_cause_class SET STATISTICS 10,
    ALTER COLUMN root_cause_message SET STATISTICS 0,
    ALTER COLUMN stacktrace SET STATISTICS 0,
    ALTER COLUMN stack_hash SET STATISTICS 0,
    ALTER COLUMN fingerprint_version SET STATISTICS 10,
    ALTER COLUMN cluster_title SET STATISTICS 0,
    ALTER COLUMN endpoint SET STATISTICS 0,
    ALTER COLUMN http_method SET STATISTICS 10,
    ALTER COLUMN provider SET STATISTICS 10,
    ALTER COLUMN client_type SET STATISTICS 10,
    ALTER COLUMN user_agent_family SET STATISTICS 10,
    ALTER COLUMN principal_hash SET STATISTICS 0,
    ALTER COLUMN ip_hash SET STATISTICS 0,
    ALTER COLUMN trace_id SET STATISTICS 0,
    ALTER COLUMN status SET STATISTICS 10,
    ALTER COLUMN analyzed_at SET STATISTICS 10,
    ALTER COLUMN attributes SET STATISTICS 0;

ALTER TABLE outbox_message
    ALTER COLUMN id SET STATISTICS 10,
    ALTER COLUMN event_id SET STATISTICS 10,
    ALTER COLUMN aggregate_type SET STATISTICS 10,
    ALTER COLUMN aggregate_id SET STATISTICS 0,
    ALTER COLUMN event_type SET STATISTICS 10,
    ALTER COLUMN payload SET STATISTICS 0,
    ALTER COLUMN payload_hash SET STATISTICS 0,
    ALTER COLUMN trace_parent SET STATISTICS 0,
    ALTER COLUMN trace_state SET STATISTICS 0,
    ALTER COLUMN status SET STATISTICS 10,
    ALTER COLUMN attempts SET STATISTICS 10,
    ALTER COLUMN next_attempt_at SET STATISTICS 10,
    ALTER COLUMN locked_by SET STATISTICS 10,
    ALTER COLUMN locked_until SET STATISTICS 10,
    ALTER COLUMN last_error SET STATISTICS 0,
    ALTER COLUMN created_at SET STATISTICS 10,
    ALTER COLUMN published_at SET STATISTICS 10;

ALTER TABLE processed_message
    ALTER COLUMN consumer SET STATISTICS 10,
    ALTER COLUMN event_id SET STATISTICS 10,
    ALTER COLUMN processed_at SET STATISTICS 10;

ALTER TABLE auth_error_cluster_item
    ALTER COLUMN cluster_id SET STATISTICS 10,
    ALTER COLUMN auth_error_id SET STATISTICS 10,
    ALTER COLUMN linked_at SET STATISTICS 10;
