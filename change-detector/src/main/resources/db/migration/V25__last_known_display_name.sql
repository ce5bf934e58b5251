-- The last display name the job saw for each object (issue 14 item 6): an object gone from the source (hard-deleted,
-- or removed while the snapshot was cleared) is logged with the name it had, not its object id, as Entra does.
-- source_snapshot: the name at the last cycle that saw the object (kept with its state hash)
ALTER TABLE source_snapshot ADD COLUMN display_name VARCHAR(512);
-- managed_object: the name of the object's last successful create or update in Druva
ALTER TABLE managed_object ADD COLUMN display_name VARCHAR(512);

-- objects known before this migration: the newest name their provisioning log shows
UPDATE source_snapshot s SET display_name = (
    SELECT l.display_name FROM provisioning_log l
    WHERE l.job_id = s.job_id AND l.object_id = s.object_id AND l.display_name IS NOT NULL
      AND l.display_name <> l.object_id
    ORDER BY l.received_at DESC LIMIT 1);
UPDATE managed_object m SET display_name = (
    SELECT l.display_name FROM provisioning_log l
    WHERE l.job_id = m.job_id AND l.object_id = m.object_id AND l.display_name IS NOT NULL
      AND l.display_name <> l.object_id
    ORDER BY l.received_at DESC LIMIT 1);
