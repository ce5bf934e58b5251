package dev.provisioning.events;

/**
 * Default names of the provisioning topics. Services read the actual names from configuration
 * ({@code mp.messaging.*.topic}); these constants are the defaults and what tests and the local stack create.
 */
public final class Topics {

    /** Job configuration, keyed by job id, compacted. Secrets are encrypted. */
    public static final String JOBS = "provisioning.jobs";
    /** One assignment event per changed source object, keyed by {@link EventKeys#of(String, String)}. */
    public static final String ASSIGNMENTS = "provisioning.assignments";
    /** One desired SCIM change per object, keyed by job and object. */
    public static final String OPERATIONS = "provisioning.operations";
    /** One outcome per object per cycle, keyed by job and object. */
    public static final String RESULTS = "provisioning.results";
    /** Changes in a job's health (quarantine, held deletions, token), keyed by job id. */
    public static final String JOB_STATES = "provisioning.job-states";
    /** Suffix of the dead-letter topic of each consumed topic. */
    public static final String DLQ_SUFFIX = ".dlq";

    private Topics() {
    }

    /** The dead-letter topic of {@code topic}. */
    public static String deadLetter(String topic) {
        return topic + DLQ_SUFFIX;
    }

    /** Every topic of the pipeline, with its dead-letter topic, for creating them up front. */
    public static java.util.List<String> all() {
        return java.util.List.of(JOBS, ASSIGNMENTS, OPERATIONS, RESULTS, JOB_STATES, deadLetter(JOBS),
                deadLetter(ASSIGNMENTS), deadLetter(OPERATIONS), deadLetter(RESULTS), deadLetter(JOB_STATES));
    }
}
