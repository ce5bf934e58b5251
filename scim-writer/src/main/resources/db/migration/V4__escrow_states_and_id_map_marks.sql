-- Issue 12 and 14: every operation gets a result at once, a rejected token holds a job's operations, a slow tenant's
-- surplus waits here instead of in memory, and a redelivery after a crash reports what really happened.

-- One row per object whose operation waits, in one of three states:
--   ESCROWED  failed transiently; its Failure result (with retryAt) was emitted; retried on Entra's schedule
--   HELD      the job's token was rejected (401); its result was emitted; retried when the token changes or the job is
--             started again (next_attempt_at is then set to now)
--   DEFERRED  not tried yet: its tenant's lane was full or it waited there too long; no result yet; republished when
--             the tenant's lane has room
ALTER TABLE escrow ADD COLUMN state VARCHAR(20) NOT NULL DEFAULT 'ESCROWED';
-- the result emitted for the operation (a later outcome names it in retryOf); null while DEFERRED
ALTER TABLE escrow ADD COLUMN result_id VARCHAR(1000);
-- when the operation was made (by the mapper): an older operation never replaces a newer one
ALTER TABLE escrow ADD COLUMN operation_created_at TIMESTAMP WITH TIME ZONE;
-- HELD: a fingerprint of the rejected token's ciphertext (not the token) and the job revision that carried it
ALTER TABLE escrow ADD COLUMN held_token VARCHAR(100);
ALTER TABLE escrow ADD COLUMN held_revision BIGINT;
-- DEFERRED: the tenant's lane (tenant URL key) whose room releases it
ALTER TABLE escrow ADD COLUMN tenant VARCHAR(600);
CREATE INDEX escrow_state_tenant ON escrow (state, tenant, next_attempt_at);

-- The operation that last changed a link, and its outcome once complete (JSON), so that a redelivered operation whose
-- result was lost in a crash reports the action it really carried out instead of "no change".
ALTER TABLE id_map ADD COLUMN operation_id VARCHAR(300);
ALTER TABLE id_map ADD COLUMN outcome TEXT;
-- the cycle in which the object was first linked: a job whose every linked user came in this cycle is on its initial
-- cycle, also after a restart of the writer (bulk matching goes on instead of one GET per user)
ALTER TABLE id_map ADD COLUMN first_cycle_id VARCHAR(300);
-- a deleted object keeps its row (a tombstone) with the operation that deleted it
ALTER TABLE id_map ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT FALSE;
-- a create sent but not answered yet has no Druva id
ALTER TABLE id_map ALTER COLUMN target_id DROP NOT NULL;
CREATE INDEX id_map_job_type ON id_map (job_id, object_type);
