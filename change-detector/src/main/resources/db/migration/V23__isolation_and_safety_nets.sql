-- Issue 12: the deletion guard on by default (a count and a share), claims renewed by a heartbeat, what a cycle asked
-- for while another ran, failed cycles in a row (quarantine), escrowed results and their later outcomes, dangling
-- references of the source.

-- the share of the objects the job manages that one cycle may disable or delete (Okta's import safeguard, 20 %);
-- existing jobs get the default too (their count stays as it was set)
ALTER TABLE job ADD COLUMN deletion_threshold_percent INTEGER NOT NULL DEFAULT 20;
-- new jobs get the count by default too (Entra's example, 500); 0 still turns it off
ALTER TABLE job ALTER COLUMN deletion_threshold SET DEFAULT 500;

-- a claim is a token; cycle_claimed_at is renewed by the running cycle's heartbeat (a claim not renewed for the lease
-- belongs to a replica that died and is taken over)
ALTER TABLE job ADD COLUMN cycle_claim VARCHAR(64);
-- how many times a cycle was asked for now, and the number of the latest request for a full cycle: a cycle's end keeps
-- what was asked while it ran
ALTER TABLE job ADD COLUMN cycle_requests BIGINT NOT NULL DEFAULT 0;
ALTER TABLE job ADD COLUMN full_cycle_request BIGINT NOT NULL DEFAULT 0;
-- cycles in a row that failed before sending anything (quarantine after detector.quarantine-after-failed-cycles)
ALTER TABLE job ADD COLUMN failed_cycles INTEGER NOT NULL DEFAULT 0;

-- references in the source that name no object, counted per cycle (the log has one Warning entry each)
ALTER TABLE cycle ADD COLUMN dangling_references INTEGER NOT NULL DEFAULT 0;

-- a Failure the scim-writer escrowed says when it retries it; a later outcome names the result it follows
ALTER TABLE provisioning_log ADD COLUMN retry_at TIMESTAMPTZ;
ALTER TABLE provisioning_log ADD COLUMN retry_of VARCHAR(600);
CREATE INDEX provisioning_log_retry_of ON provisioning_log (retry_of) WHERE retry_of IS NOT NULL;
CREATE INDEX provisioning_log_escrowed ON provisioning_log (job_id) WHERE retry_at IS NOT NULL;
