-- The scim-writer's own state. No other service reads these tables.

-- source object -> Druva id, per job, with the last attributes the target is known to hold (JSON of SCIM paths)
CREATE TABLE id_map (
    id           VARCHAR(600) PRIMARY KEY,   -- jobId/objectType/sourceId
    job_id       VARCHAR(200) NOT NULL,
    object_type  VARCHAR(10)  NOT NULL,
    source_id    VARCHAR(300) NOT NULL,
    target_id    VARCHAR(300) NOT NULL,
    target_state TEXT         NOT NULL,
    updated_at   TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX id_map_job ON id_map (job_id);

-- operations already carried out, with the result emitted for them: a redelivered operation re-emits this result
-- and sends nothing to Druva
CREATE TABLE processed_operation (
    result_id    VARCHAR(1000) PRIMARY KEY,  -- ProvisioningResult.idOf(job, object, cycle, operation)
    job_id       VARCHAR(200) NOT NULL,
    operation_id VARCHAR(300) NOT NULL,
    result_json  TEXT         NOT NULL,
    processed_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX processed_operation_job ON processed_operation (job_id, processed_at);
