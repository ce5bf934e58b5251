-- Issue 11 item 3: the audit log of every change to a job: who (the caller's token's name), when, the action and the
-- names of the fields that changed (never a value: a secret is recorded only as having changed). No foreign key: the
-- entries of a deleted job, its deletion included, stay until the provisioning log's retention purges them
-- (detector.log-retention).
CREATE TABLE job_audit (
    id BIGSERIAL PRIMARY KEY,
    job_id VARCHAR(64) NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor VARCHAR(512) NOT NULL,
    action VARCHAR(32) NOT NULL,
    fields TEXT[] NOT NULL DEFAULT '{}',
    detail VARCHAR(1000)
);
-- a job's entries newest first, paged by id
CREATE INDEX job_audit_job ON job_audit (job_id, id DESC);
-- the retention's purge
CREATE INDEX job_audit_at ON job_audit (at);
