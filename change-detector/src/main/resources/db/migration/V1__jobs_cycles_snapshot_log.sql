-- change-detector's own tables: jobs, cycles, the source snapshot (the watermark of the directory file) and the
-- provisioning log. No other service reads them.

CREATE TABLE job (
    id                    VARCHAR(64)  PRIMARY KEY,
    name                  VARCHAR(256) NOT NULL,
    state                 VARCHAR(32)  NOT NULL,
    -- the JobConfig record as JSON; its secret token is encrypted (EncryptedSecret), never in clear
    config                TEXT         NOT NULL,
    revision              BIGINT       NOT NULL,
    next_cycle_at         TIMESTAMPTZ,
    full_cycle_requested  BOOLEAN      NOT NULL DEFAULT TRUE,
    -- set while a replica runs a cycle; a claim older than the lease is taken over
    cycle_claimed_at      TIMESTAMPTZ,
    last_error            TEXT,
    created_at            TIMESTAMPTZ  NOT NULL,
    updated_at            TIMESTAMPTZ  NOT NULL
);

CREATE TABLE cycle (
    id              VARCHAR(64) PRIMARY KEY,
    job_id          VARCHAR(64) NOT NULL REFERENCES job (id) ON DELETE CASCADE,
    full_cycle      BOOLEAN     NOT NULL,
    status          VARCHAR(32) NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL,
    emitted_at      TIMESTAMPTZ,
    events_emitted  INTEGER     NOT NULL DEFAULT 0,
    error           TEXT
);
CREATE INDEX cycle_job_started ON cycle (job_id, started_at DESC);

CREATE TABLE source_snapshot (
    job_id      VARCHAR(64)  NOT NULL REFERENCES job (id) ON DELETE CASCADE,
    object_id   VARCHAR(128) NOT NULL,
    object_type VARCHAR(16)  NOT NULL,
    state_hash  VARCHAR(64)  NOT NULL,
    updated_at  TIMESTAMPTZ  NOT NULL,
    PRIMARY KEY (job_id, object_id)
);

CREATE TABLE provisioning_log (
    result_id           VARCHAR(600) PRIMARY KEY,
    job_id              VARCHAR(64)  NOT NULL,
    cycle_id            VARCHAR(64)  NOT NULL,
    event_id            VARCHAR(64),
    object_type         VARCHAR(16),
    object_id           VARCHAR(128) NOT NULL,
    target_id           VARCHAR(256),
    display_name        VARCHAR(512),
    action              VARCHAR(32)  NOT NULL,
    status              VARCHAR(32)  NOT NULL,
    error_code          VARCHAR(128),
    reason              TEXT,
    http_status         INTEGER,
    attempts            INTEGER      NOT NULL DEFAULT 0,
    duration_ms         BIGINT       NOT NULL DEFAULT 0,
    modified_properties TEXT,
    reported_by         VARCHAR(64),
    occurred_at         TIMESTAMPTZ  NOT NULL,
    received_at         TIMESTAMPTZ  NOT NULL
);
CREATE INDEX provisioning_log_cycle ON provisioning_log (job_id, cycle_id);
CREATE INDEX provisioning_log_time ON provisioning_log (job_id, occurred_at DESC);
CREATE INDEX provisioning_log_object ON provisioning_log (job_id, object_id);
