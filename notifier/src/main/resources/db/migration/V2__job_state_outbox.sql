-- Job state emails (quarantine, held deletions, secret token): one row per job state event, stored before the Kafka
-- record is acknowledged. The primary key is the event's id, so a redelivered event is stored (and emailed) once.
CREATE TABLE state_outbox (
    event_id        VARCHAR(1024) PRIMARY KEY,
    job_id          VARCHAR(255)  NOT NULL,
    job_name        VARCHAR(1024),
    change          VARCHAR(32)   NOT NULL,
    kind            VARCHAR(16)   NOT NULL,
    reason_code     VARCHAR(255),
    reason          TEXT,
    object_count    BIGINT        NOT NULL DEFAULT 0,
    cycle_id        VARCHAR(255),
    occurred_at     TIMESTAMPTZ,
    received_at     TIMESTAMPTZ   NOT NULL,
    -- PENDING until SENT; DUPLICATE: a quarantine already emailed for the same reason; DROPPED: notifications off,
    -- no address, job deleted or unknown, or given up after permanent SMTP refusals
    state           VARCHAR(16)   NOT NULL DEFAULT 'PENDING',
    attempts        INTEGER       NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    last_error      TEXT,
    settled_at      TIMESTAMPTZ,
    recipient       VARCHAR(1024),
    subject         TEXT,
    message_id      VARCHAR(255)
);

CREATE INDEX state_outbox_pending ON state_outbox (received_at) WHERE state = 'PENDING';
CREATE INDEX state_outbox_settled ON state_outbox (settled_at) WHERE state <> 'PENDING';

-- The quarantine reason each job was last emailed about, until its quarantine is lifted: "once per reason".
CREATE TABLE quarantine_notice (
    job_id      VARCHAR(255)  PRIMARY KEY,
    reason_code VARCHAR(255)  NOT NULL,
    event_id    VARCHAR(1024) NOT NULL,
    noticed_at  TIMESTAMPTZ   NOT NULL
);
