-- The notifier's own tables: no other service reads or writes them.

-- Every Failure result of a job that wants failure emails, stored before the Kafka record is acknowledged.
-- The primary key is the result's identity, so a redelivered result is stored once.
CREATE TABLE failure_outbox (
    result_id       VARCHAR(1024) PRIMARY KEY,
    job_id          VARCHAR(255)  NOT NULL,
    cycle_id        VARCHAR(255)  NOT NULL,
    object_id       VARCHAR(512)  NOT NULL,
    object_type     VARCHAR(16),
    display_name    VARCHAR(1024),
    action          VARCHAR(32)   NOT NULL,
    error_code      VARCHAR(255),
    reason          TEXT,
    occurred_at     TIMESTAMPTZ,
    received_at     TIMESTAMPTZ   NOT NULL,
    -- PENDING until emailed (SENT, with the digest) or dropped (DROPPED: notifications off, job deleted or unknown)
    state           VARCHAR(16)   NOT NULL DEFAULT 'PENDING',
    digest_id       VARCHAR(1024),
    settled_at      TIMESTAMPTZ,
    -- SMTP attempts of the digest this failure belongs to, and when the next one may run (backoff)
    attempts        INTEGER       NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    last_error      TEXT
);

CREATE INDEX failure_outbox_pending ON failure_outbox (job_id, received_at) WHERE state = 'PENDING';
CREATE INDEX failure_outbox_settled ON failure_outbox (settled_at) WHERE state <> 'PENDING';

-- Every email sent, recorded in the transaction that marks its failures SENT: a digest recorded here is never sent
-- again. The digest id is deterministic (job and window start), so is the Message-ID.
CREATE TABLE sent_notification (
    digest_id     VARCHAR(1024) PRIMARY KEY,
    job_id        VARCHAR(255)  NOT NULL,
    kind          VARCHAR(32)   NOT NULL,
    window_start  TIMESTAMPTZ   NOT NULL,
    window_end    TIMESTAMPTZ   NOT NULL,
    recipient     VARCHAR(1024) NOT NULL,
    subject       TEXT          NOT NULL,
    message_id    VARCHAR(255)  NOT NULL,
    failure_count INTEGER       NOT NULL,
    sent_at       TIMESTAMPTZ   NOT NULL,
    CONSTRAINT sent_notification_job_window UNIQUE (job_id, kind, window_start)
);
