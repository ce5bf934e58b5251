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
    /**
     * Largest record, in bytes, on {@link #ASSIGNMENTS} and {@link #OPERATIONS} (and their dead-letter topics): 16 MiB.
     * A group's events carry its direct members' ids (about 39 bytes each), so Kafka's default of 1 MiB stops at about
     * 25,000 members; 16 MiB holds about 400,000. The topics are created with {@code max.message.bytes} and the producers
     * configured with {@code max.request.size} of this value (services' {@code application.properties},
     * {@code deploy/kafka/create-topics.sh}).
     */
    public static final int MAX_RECORD_BYTES = 16 * 1024 * 1024;
    /** Suffix of the dead-letter topic of each consumed topic. */
    public static final String DLQ_SUFFIX = ".dlq";

    private Topics() {
    }

    /** The dead-letter topic of {@code topic}. */
    public static String deadLetter(String topic) {
        return topic + DLQ_SUFFIX;
    }

    /** The topics whose records carry a group's members, created with {@link #MAX_RECORD_BYTES}. */
    public static java.util.List<String> largeRecordTopics() {
        return java.util.List.of(ASSIGNMENTS, OPERATIONS, deadLetter(ASSIGNMENTS), deadLetter(OPERATIONS));
    }

    /** Every topic of the pipeline, with its dead-letter topic, for creating them up front. */
    public static java.util.List<String> all() {
        return java.util.List.of(JOBS, ASSIGNMENTS, OPERATIONS, RESULTS, JOB_STATES, deadLetter(JOBS),
                deadLetter(ASSIGNMENTS), deadLetter(OPERATIONS), deadLetter(RESULTS), deadLetter(JOB_STATES));
    }
}
