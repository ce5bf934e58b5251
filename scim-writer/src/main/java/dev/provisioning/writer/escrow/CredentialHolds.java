package dev.provisioning.writer.escrow;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.provisioning.events.job.EncryptedSecret;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;

/**
 * Jobs whose Druva token was rejected (401): their operations are held, not sent, until the token changes or the job
 * is started again (Entra stops at once on {@code InvalidCredentials}, and the change-detector quarantines the job).
 *
 * <p>
 * A hold is set on the first 401 for a job, with a fingerprint of the token's ciphertext and the job's revision. It is
 * released by a job revision whose token differs, or by an ACTIVE revision later than the held one (Start or Restart
 * after the quarantine): {@link #releases}. The same rule releases the held rows in PostgreSQL, so holds survive a
 * restart of the writer ({@code EscrowStore.releaseHeld}, {@code EscrowStore.hold}). Other jobs are not affected.
 * Plain Java, thread-safe.
 */
public final class CredentialHolds {

    /** The rejected token's fingerprint and the revision that carried it. */
    public record Hold(String token, long revision) {
    }

    private final Map<String, Hold> byJob = new ConcurrentHashMap<>();

    /**
     * Holds the job's operations: its token, as of this configuration, was rejected.
     *
     * @return true when the job was not held yet (the first 401: reported as a Failure, the later ones as held)
     */
    public boolean hold(JobConfig job) {
        Hold hold = new Hold(fingerprint(job.secretToken()), job.revision());
        return byJob.put(job.jobId(), hold) == null;
    }

    /** Restores a hold read from PostgreSQL (after a restart), unless the job's configuration releases it. */
    public void restore(JobConfig job, Hold hold) {
        if (!releases(hold, job)) {
            byJob.putIfAbsent(job.jobId(), hold);
        }
    }

    /** Whether the job's operations are held under this configuration. */
    public boolean isHeld(JobConfig job) {
        Hold hold = byJob.get(job.jobId());
        return hold != null && !releases(hold, job);
    }

    /**
     * A new configuration of the job arrived: drops the hold it releases.
     *
     * @return whether a hold was released
     */
    public boolean onJob(JobConfig job) {
        Hold hold = byJob.get(job.jobId());
        return hold != null && releases(hold, job) && byJob.remove(job.jobId(), hold);
    }

    /** Forgets a deleted job. */
    public void forget(String jobId) {
        byJob.remove(jobId);
    }

    /** Whether this configuration ends the hold: another token, or the job ACTIVE at a later revision. */
    public static boolean releases(Hold hold, JobConfig job) {
        return !hold.token().equals(fingerprint(job.secretToken()))
                || (job.state() == JobState.ACTIVE && job.revision() > hold.revision());
    }

    /**
     * A fingerprint of an encrypted token: the first 32 hex digits of the SHA-256 of its key id and ciphertext. It
     * tells tokens apart without revealing anything (the ciphertext is public within the system; the token is not in
     * it without the key).
     */
    public static String fingerprint(EncryptedSecret secret) {
        if (secret == null) {
            return "none";
        }
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] hash = digest.digest((secret.keyId() + ":" + secret.ciphertext()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
