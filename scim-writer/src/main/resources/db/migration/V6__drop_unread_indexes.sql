-- Issue 13 (tenth round): two indexes that no statement reads, each one more index insertion (and its WAL) for every
-- row the initial sync writes. pg_stat_user_indexes over a 30,000-user sync: idx_scan 0 for both.
-- processed_operation is read by result_id (its primary key) and purged by processed_at
-- (processed_operation_processed_at); nothing selects it by job.
DROP INDEX IF EXISTS processed_operation_job;
-- id_map is read by id (its primary key) and by job and type (hasLinksBefore: id_map_job_type, whose leading column
-- also serves any query by job alone).
DROP INDEX IF EXISTS id_map_job;
