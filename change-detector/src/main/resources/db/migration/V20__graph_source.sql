-- The Microsoft Graph source: what the users and groups delta queries have told each job (its mirror), and the
-- deltaLinks to ask next. Both are written together, in one transaction, only after a cycle's events are on Kafka:
-- a crash before that replays the same delta.

CREATE TABLE graph_mirror_object (
    job_id      VARCHAR(64)  NOT NULL REFERENCES job (id) ON DELETE CASCADE,
    -- USER or GROUP
    object_type VARCHAR(16)  NOT NULL,
    object_id   VARCHAR(128) NOT NULL,
    -- a user's Graph attributes, or a group's {"displayName": ..., "members": [user ids]}
    data        JSONB        NOT NULL,
    updated_at  TIMESTAMPTZ  NOT NULL,
    PRIMARY KEY (job_id, object_type, object_id)
);

CREATE TABLE graph_delta_link (
    job_id     VARCHAR(64) NOT NULL REFERENCES job (id) ON DELETE CASCADE,
    -- users or groups
    resource   VARCHAR(16) NOT NULL,
    delta_link TEXT        NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job_id, resource)
);
