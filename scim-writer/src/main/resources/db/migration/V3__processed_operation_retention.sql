-- processed operations are purged after writer.processed-operation.retention (ProcessedOperationPurge): the purge
-- selects by age alone, which the index on (job_id, processed_at) cannot serve.
-- A plain CREATE INDEX blocks writes to the table while it is built (seconds for millions of rows). To avoid that on a
-- big table, create the index by hand before upgrading:
--   CREATE INDEX CONCURRENTLY IF NOT EXISTS processed_operation_processed_at ON processed_operation (processed_at);
-- (not done here: Flyway's PostgreSQL lock keeps a transaction open, on which CREATE INDEX CONCURRENTLY would wait.)
CREATE INDEX IF NOT EXISTS processed_operation_processed_at ON processed_operation (processed_at);
