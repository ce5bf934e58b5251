package dev.provisioning.events;

/** Validation of decoded events, so consumers reject malformed ones with a reason that names the field. */
public final class EventChecks {

    private EventChecks() {
    }

    /** Fails unless {@code value} is non-blank. */
    public static String required(String type, String field, String value) {
        if (value == null || value.isBlank()) {
            throw new MalformedEventException(type + ": field '" + field + "' is required");
        }
        return value;
    }

    /** Fails unless {@code value} is non-null. */
    public static <T> T required(String type, String field, T value) {
        if (value == null) {
            throw new MalformedEventException(type + ": field '" + field + "' is required");
        }
        return value;
    }

    /** Fails unless the schema version is one this code understands. */
    public static void schemaVersion(String type, int actual, int supported) {
        if (actual < 1 || actual > supported) {
            throw new MalformedEventException(
                    type + ": unsupported schemaVersion " + actual + " (this service reads 1 to " + supported + ")");
        }
    }

    /** Decodes and validates an assignment event. */
    public static AssignmentEvent assignment(String json) {
        AssignmentEvent e = Json.read(json, AssignmentEvent.class);
        String t = "AssignmentEvent";
        schemaVersion(t, e.schemaVersion(), AssignmentEvent.SCHEMA_VERSION);
        required(t, "eventId", e.eventId());
        required(t, "jobId", e.jobId());
        required(t, "cycleId", e.cycleId());
        required(t, "objectType", e.objectType());
        required(t, "objectId", e.objectId());
        required(t, "change", e.change());
        return e;
    }

    /** Decodes and validates a SCIM operation. */
    public static ScimOperation operation(String json) {
        return checked(Json.read(json, ScimOperation.class));
    }

    /**
     * Decodes and validates a SCIM operation from its record's UTF-8 bytes ({@link Json#read(byte[], Class)}): the
     * same operation, and the same {@link MalformedEventException}s, as {@link #operation(String)} of their text.
     */
    public static ScimOperation operation(byte[] json) {
        return checked(Json.read(json, ScimOperation.class));
    }

    private static ScimOperation checked(ScimOperation o) {
        String t = "ScimOperation";
        schemaVersion(t, o.schemaVersion(), ScimOperation.SCHEMA_VERSION);
        required(t, "operationId", o.operationId());
        required(t, "jobId", o.jobId());
        required(t, "cycleId", o.cycleId());
        required(t, "objectType", o.objectType());
        required(t, "objectId", o.objectId());
        required(t, "kind", o.kind());
        for (var entry : o.attributes().entrySet()) {
            if (entry.getValue() == null) {
                throw new MalformedEventException(
                        t + ": attribute '" + entry.getKey() + "' is null (nulls are never sent)");
            }
        }
        return o;
    }

    /** Decodes and validates a provisioning result. */
    public static ProvisioningResult result(String json) {
        ProvisioningResult r = Json.read(json, ProvisioningResult.class);
        String t = "ProvisioningResult";
        schemaVersion(t, r.schemaVersion(), ProvisioningResult.SCHEMA_VERSION);
        required(t, "resultId", r.resultId());
        required(t, "jobId", r.jobId());
        required(t, "cycleId", r.cycleId());
        required(t, "objectId", r.objectId());
        required(t, "action", r.action());
        required(t, "status", r.status());
        return r;
    }

    /** Decodes and validates a job state event. */
    public static JobStateEvent jobState(String json) {
        JobStateEvent e = Json.read(json, JobStateEvent.class);
        String t = "JobStateEvent";
        schemaVersion(t, e.schemaVersion(), JobStateEvent.SCHEMA_VERSION);
        required(t, "eventId", e.eventId());
        required(t, "jobId", e.jobId());
        required(t, "change", e.change());
        return e;
    }

    /** Decodes and validates a job configuration record. */
    public static dev.provisioning.events.job.JobConfig job(String json) {
        var j = Json.read(json, dev.provisioning.events.job.JobConfig.class);
        String t = "JobConfig";
        schemaVersion(t, j.schemaVersion(), dev.provisioning.events.job.JobConfig.SCHEMA_VERSION);
        required(t, "jobId", j.jobId());
        required(t, "state", j.state());
        return j;
    }
}
