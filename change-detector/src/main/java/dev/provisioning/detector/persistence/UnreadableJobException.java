package dev.provisioning.detector.persistence;

/**
 * A job's stored row cannot be read: the failure (in the Uni) of {@link JobStore#find} and of every change of the job
 * ({@link JobStore#update}), logged and counted by the store. The API answers it with a 409 RFC 9457 problem naming
 * the job, the field and the way out ({@code api.UnreadableJobMapper}); {@link JobStore#repair} replaces the row's
 * configuration in place.
 */
public final class UnreadableJobException extends IllegalStateException {

    private final UnreadableJob job;

    UnreadableJobException(UnreadableJob job, Throwable cause) {
        super(job.describe(), cause);
        this.job = job;
    }

    /** The job, as far as it can be shown. */
    public UnreadableJob job() {
        return job;
    }
}
