-- Issue 13 (F3): the generation of each job's source snapshot, so that a replica may keep the snapshot its last cycle
-- left in memory and reload it only when another writer moved it (another replica's cycle, a restart that cleared
-- it). Every write of source_snapshot moves the generation in its own transaction (SnapshotRepository.apply, clear).
-- Generations come from one sequence: a value is never used twice, not even by a job deleted and created again.
CREATE SEQUENCE snapshot_generation_seq;

CREATE TABLE snapshot_generation (
    job_id         VARCHAR(64) PRIMARY KEY REFERENCES job (id) ON DELETE CASCADE,
    -- the snapshot's generation now
    generation     BIGINT      NOT NULL,
    -- the generation the last write replaced (0: none): a writer that finds there the generation it loaded knows
    -- that nobody else wrote between its load and its write
    previous       BIGINT      NOT NULL DEFAULT 0,
    -- the version of the directory file (size, modification time, file key) the snapshot's last cycle read, looked
    -- at before the read; null for other sources or before the first such cycle
    source_version VARCHAR(512)
);

-- jobs that ran before this migration: a generation of their own (a job without a row never wrote its snapshot)
INSERT INTO snapshot_generation (job_id, generation) SELECT id, nextval('snapshot_generation_seq') FROM job;
