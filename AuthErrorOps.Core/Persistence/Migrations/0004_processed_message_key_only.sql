-- processed_message is read only by its key, (consumer, event_id): the consumer's claim and the tests' counts.
-- Nothing reads it by processed_at (there is no retention of the ledger: a deleted entry would let a replayed
-- event count twice), yet every processed event paid a B-tree insert here (docs/decisions.md).
DROP INDEX IF EXISTS ix_processed_message_processed_at;
