-- Safety nets and the rest of the control plane: deletion threshold, quarantine, token age, per-cycle result counters,
-- the objects this job manages in Druva, and deletions held by the accidental-deletion threshold.

-- disables + deletes allowed per cycle before they are held (0: off). Not in the JobConfig contract (yet).
ALTER TABLE job ADD COLUMN deletion_threshold   INTEGER     NOT NULL DEFAULT 0;
-- when the secret token was last set, for the expiry warning (Druva tokens last 365 days)
ALTER TABLE job ADD COLUMN token_set_at         TIMESTAMPTZ;
-- the token_set_at for which TOKEN_EXPIRING was published, so it is published once per token
ALTER TABLE job ADD COLUMN token_expiry_warned  TIMESTAMPTZ;
-- quarantine: Entra's reason code, since when, a sentence, and the occurrence key that makes event ids stable
ALTER TABLE job ADD COLUMN quarantine_reason    VARCHAR(64);
ALTER TABLE job ADD COLUMN quarantine_detail    TEXT;
ALTER TABLE job ADD COLUMN quarantined_since    TIMESTAMPTZ;
ALTER TABLE job ADD COLUMN quarantine_key       VARCHAR(200);

-- counted as results are recorded (in the same transaction), for the quarantine thresholds
ALTER TABLE cycle ADD COLUMN results_total      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cycle ADD COLUMN results_operations INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cycle ADD COLUMN results_failed     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cycle ADD COLUMN finished_at        TIMESTAMPTZ;

-- objects this job created or updated successfully in Druva and has not deleted: what the deletion threshold counts
CREATE TABLE managed_object (
    job_id     VARCHAR(64)  NOT NULL REFERENCES job (id) ON DELETE CASCADE,
    object_id  VARCHAR(128) NOT NULL,
    since      TIMESTAMPTZ  NOT NULL,
    PRIMARY KEY (job_id, object_id)
);

-- jobs that ran before this migration: what their provisioning log says they created or updated and did not delete
INSERT INTO managed_object (job_id, object_id, since)
SELECT l.job_id, l.object_id, min(l.occurred_at)
FROM provisioning_log l JOIN job j ON j.id = l.job_id
WHERE l.status = 'Success' AND l.action IN ('Create', 'Update')
  AND NOT EXISTS (SELECT 1 FROM provisioning_log d WHERE d.job_id = l.job_id AND d.object_id = l.object_id
                  AND d.status = 'Success' AND d.action = 'Delete' AND d.occurred_at > l.occurred_at)
GROUP BY l.job_id, l.object_id;

-- disables and deletes held because a cycle exceeded the deletion threshold (Entra's StagedDelete)
CREATE TABLE staged_deletion (
    job_id      VARCHAR(64)  NOT NULL REFERENCES job (id) ON DELETE CASCADE,
    object_id   VARCHAR(128) NOT NULL,
    cycle_id    VARCHAR(64)  NOT NULL,
    -- the AssignmentEvent JSON that was held (source attributes only, never a secret)
    event       TEXT         NOT NULL,
    held_at     TIMESTAMPTZ  NOT NULL,
    PRIMARY KEY (job_id, object_id)
);

-- the retention purge deletes by age
CREATE INDEX provisioning_log_occurred ON provisioning_log (occurred_at);
