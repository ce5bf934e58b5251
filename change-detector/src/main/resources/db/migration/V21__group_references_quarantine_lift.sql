-- Groups are provisioned by cycles too: the objects a job manages carry their type, so that a group's state can be
-- hashed over its members that Druva holds, and a cycle records whether it changed which users Druva holds (then the
-- groups' memberships are brought up to date by a follow-up cycle, Entra's "references" step).

ALTER TABLE managed_object ADD COLUMN object_type VARCHAR(16) NOT NULL DEFAULT 'USER';
UPDATE managed_object m SET object_type = 'GROUP'
WHERE EXISTS (SELECT 1 FROM provisioning_log l WHERE l.job_id = m.job_id AND l.object_id = m.object_id
              AND l.object_type = 'GROUP');

ALTER TABLE cycle ADD COLUMN managed_users_changed BOOLEAN NOT NULL DEFAULT FALSE;

-- when the last quarantine was lifted: a redelivered failure of a cycle that started before the lift does not
-- quarantine the job again (its counts are still over the threshold)
ALTER TABLE job ADD COLUMN quarantine_lifted_at TIMESTAMPTZ;
