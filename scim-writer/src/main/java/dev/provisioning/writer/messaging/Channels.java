package dev.provisioning.writer.messaging;

/** Channel names of the scim-writer; the topics are set in configuration ({@code mp.messaging.*.topic}). */
public final class Channels {

    /** In: {@code provisioning.jobs}. */
    public static final String JOBS = "jobs";
    /** In: {@code provisioning.operations}. */
    public static final String OPERATIONS = "operations";
    /** Out: {@code provisioning.results}. */
    public static final String RESULTS = "results";
    /** Out: {@code provisioning.operations.dlq}, malformed operations with the reason. */
    public static final String DEAD_LETTERS = "dead-letters";
    /** Out: {@code provisioning.operations}, escrowed operations that are due for a retry. */
    public static final String ESCROW_RETRIES = "escrow-retries";
    /** The header that marks a republished escrowed operation (value: the operation id). */
    public static final String ESCROW_RETRY_HEADER = "escrow-retry";

    private Channels() {
    }
}
