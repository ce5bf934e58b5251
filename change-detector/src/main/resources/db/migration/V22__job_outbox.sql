-- One write path for a job: saving it stores the row and the events it raised here, in the same transaction; a relay
-- publishes them afterwards (at least once, in order per job) and marks them sent. Nothing is published before it is
-- stored.

CREATE TABLE job_outbox (
    id         BIGSERIAL   PRIMARY KEY,
    -- no reference to job: a deleted job's tombstone outlives its row
    job_id     VARCHAR(64) NOT NULL,
    -- JOB_CONFIG: a record on provisioning.jobs (a null payload is the tombstone of a deleted job);
    -- JOB_STATE: a record on provisioning.job-states
    kind       VARCHAR(16) NOT NULL,
    payload    TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at    TIMESTAMPTZ
);
-- what the relay reads, and what a claim checks (a job's cycle waits until its configuration is published)
CREATE INDEX job_outbox_unsent ON job_outbox (job_id, id) WHERE sent_at IS NULL;
-- the purge of sent records by age
CREATE INDEX job_outbox_sent ON job_outbox (sent_at) WHERE sent_at IS NOT NULL;

-- job.revision is now the row's revision, raised by every save (optimistic locking); the configuration carries its
-- own revision in job.config
COMMENT ON COLUMN job.revision IS 'the row''s revision, raised by every save; the configuration has its own';
