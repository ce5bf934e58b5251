-- The job status's lastCycleWithChanges (CycleRepository.lastWithChanges) is a job's newest complete cycle with at
-- least one result that is not Skipped (results_operations > 0: a create, update, disable, delete or membership change
-- carried out, or a failure). V29's index chose cycles that sent anything (events_emitted > 0), so a follow-up cycle
-- whose every object was already as the source has it (Skipped, RedundantExport) hid the cycle before it that created
-- 245 users and failed 15.
DROP INDEX IF EXISTS cycle_job_with_changes;
CREATE INDEX cycle_job_with_changes ON cycle (job_id, started_at DESC) WHERE results_operations > 0;
