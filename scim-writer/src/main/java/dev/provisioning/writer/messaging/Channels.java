package dev.provisioning.writer.messaging;

/** Channel names of the scim-writer; the topics are set in configuration ({@code mp.messaging.*.topic}). */
public final class Channels {

    /** In: {@code provisioning.jobs}. */
    public static final String JOBS = "jobs";
    /** In: {@code provisioning.operations}. */
    public static final String OPERATIONS = "operations";
    /** Out: {@code provisioning.results}. */
    public static final String RESULTS = "results";

    private Channels() {
    }
}
