-- A cycle that sent nothing (an incremental cycle of a quiet tenant) is complete when it is emitted, and is now marked
-- finished then (CycleRepository.emitted). The ones emitted before this version were never marked: give them their
-- emission time, so their completedAt shows in the status and the job's last-completed gauge
-- (provisioning_detector_last_cycle_completed_timestamp_seconds) is not held back at the last cycle that had events.
UPDATE cycle SET finished_at = emitted_at
 WHERE events_emitted = 0 AND status = 'EMITTED' AND finished_at IS NULL AND emitted_at IS NOT NULL;
