package dev.provisioning.notifier.messaging;

/** Names of the notifier's messaging channels; topic names are in {@code application.properties}. */
public final class Channels {

    /** {@code provisioning.jobs}: every job configuration, read whole by every replica. */
    public static final String JOBS = "jobs";
    /** {@code provisioning.results}: the outcome of every object, at least once. */
    public static final String RESULTS = "results";
    /** {@code provisioning.results.dlq}: results the notifier cannot read or store, with the reason in a header. */
    public static final String RESULTS_DEAD_LETTERS = "results-dead-letters";
    /** {@code provisioning.job-states}: changes in a job's health (quarantine, held deletions, token). */
    public static final String JOB_STATES = "job-states";

    private Channels() {
    }
}
