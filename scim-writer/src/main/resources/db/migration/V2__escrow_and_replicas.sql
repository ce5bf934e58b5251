-- objects whose requests kept failing transiently: retried on a schedule (6 h, 12 h, 24 h, then daily for 28 days by
-- default) until they succeed or are dropped. One row per object: a later operation supersedes an escrowed one.
CREATE TABLE escrow (
    id               VARCHAR(600) PRIMARY KEY,  -- jobId/objectType/objectId
    job_id           VARCHAR(200)  NOT NULL,
    object_id        VARCHAR(300)  NOT NULL,
    operation_id     VARCHAR(300)  NOT NULL,
    operation_json   TEXT          NOT NULL,
    retries          INT           NOT NULL,  -- scheduled retries already made
    first_failed_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    next_attempt_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    last_error_code  VARCHAR(100),
    last_error       TEXT
);
CREATE INDEX escrow_due ON escrow (next_attempt_at);
CREATE INDEX escrow_job ON escrow (job_id);

-- live writer replicas: each tenant's request budget is divided by their number
CREATE TABLE writer_replica (
    replica_id   VARCHAR(100) PRIMARY KEY,
    heartbeat_at TIMESTAMP WITH TIME ZONE NOT NULL
);
