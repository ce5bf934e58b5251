-- Issue 13 (D4): a replica keeps each job's managed objects between cycles and reads only what changed since its last
-- read. Every write of a job's managed objects (ProvisioningLogRepository.recordAll) first moves the job's version in
-- its own transaction, which locks the job's row until the commit: versions of one job commit in order, so a reader
-- that saw version V has seen every write up to V. Each managed row carries the version that last wrote it; a deleted
-- row leaves a removal (a tombstone) with the version that deleted it. Versions come from one sequence: a value is
-- never used twice, not even by a job deleted and created again.
CREATE SEQUENCE managed_version_seq;

CREATE TABLE managed_version (
    job_id  VARCHAR(64) PRIMARY KEY REFERENCES job (id) ON DELETE CASCADE,
    -- the version of the last write of the job's managed objects
    version BIGINT      NOT NULL,
    -- the version this row was created with: a reader that knew another origin (the job was deleted and created
    -- again) reads the managed objects in full
    origin  BIGINT      NOT NULL,
    -- removals at or below this version may have been forgotten (purged): a reader whose last read is older reads
    -- the managed objects in full
    horizon BIGINT      NOT NULL DEFAULT 0
);

ALTER TABLE managed_object ADD COLUMN version BIGINT;

CREATE TABLE managed_object_removal (
    job_id     VARCHAR(64)  NOT NULL REFERENCES job (id) ON DELETE CASCADE,
    object_id  VARCHAR(128) NOT NULL,
    -- the version that deleted the object's managed row
    version    BIGINT       NOT NULL,
    removed_at TIMESTAMPTZ  NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, object_id)
);

-- jobs that ran before this migration: a version of their own, which their managed rows carry
INSERT INTO managed_version (job_id, version, origin)
SELECT id, v, v FROM (SELECT id, nextval('managed_version_seq') AS v FROM job) j;
UPDATE managed_object m SET version = v.version FROM managed_version v WHERE v.job_id = m.job_id;
-- a write that does not say its version (a replica that runs the code before this migration) fails and is retried
ALTER TABLE managed_object ALTER COLUMN version SET NOT NULL;

CREATE INDEX managed_object_version ON managed_object (job_id, version);
CREATE INDEX managed_object_removal_version ON managed_object_removal (job_id, version);
