package dev.provisioning.detector.api;

import java.util.List;

import dev.provisioning.detector.persistence.UnreadableJob;

/**
 * A {@code PUT /jobs/{id}} of a job whose stored row cannot be read that leaves out a secret (the secret token, the
 * Graph client secret) to keep the stored one: a change that keeps stored values has nothing to merge into, so it is
 * refused with 409 naming the job, what cannot be read and the secrets to send ({@link UnreadableJobMapper}). A
 * repair sends the whole configuration.
 */
public final class WholeConfigurationRequired extends RuntimeException {

    private final transient UnreadableJob job;
    private final List<FieldError> missing;

    WholeConfigurationRequired(UnreadableJob job, List<FieldError> missing) {
        super(job.describe() + ": a repair needs the whole configuration", null, false, false);
        this.job = job;
        this.missing = List.copyOf(missing);
    }

    /** The job, as far as it can be shown. */
    public UnreadableJob job() {
        return job;
    }

    /** The fields the repair must send, each with why. */
    public List<FieldError> missing() {
        return missing;
    }
}
