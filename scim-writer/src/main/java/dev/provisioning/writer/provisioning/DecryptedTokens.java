package dev.provisioning.writer.provisioning;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.provisioning.events.job.EncryptedSecret;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.SecretCipher;

/**
 * The decrypted Druva token of each job, by job id, for the revision of the job and the exact encrypted token it was
 * decrypted from: an operation of the same job revision gets it without decrypting again (issue 13: the token was
 * decrypted for every operation). A job of another revision, or with another encrypted token, is decrypted again and
 * replaces the entry; {@link #forget} drops a deleted job's token.
 *
 * <p>
 * In memory only, never logged ({@link #toString} names no token); one entry per job, all dropped when more than
 * {@value #MAX_JOBS} jobs are held. A decryption that fails is not cached. Thread-safe.
 */
final class DecryptedTokens {

    /** Jobs held before the whole cache is dropped (a bound, not a working size). */
    static final int MAX_JOBS = 10_000;

    private record Decrypted(long revision, EncryptedSecret secret, String token) {

        @Override
        public String toString() {
            return "Decrypted[revision=" + revision + ", token=******]";
        }
    }

    private final SecretCipher cipher;
    private final Map<String, Decrypted> byJob = new ConcurrentHashMap<>();

    DecryptedTokens(SecretCipher cipher) {
        this.cipher = cipher;
    }

    /**
     * The job's token in clear.
     *
     * @throws IllegalArgumentException (from {@link SecretCipher#decrypt}) when it cannot be decrypted; the message
     *             names key ids, never the token
     */
    String token(JobConfig job) {
        Decrypted held = byJob.get(job.jobId());
        if (held != null && held.revision() == job.revision() && held.secret().equals(job.secretToken())) {
            return held.token();
        }
        String token = cipher.decrypt(job.secretToken());
        if (byJob.size() >= MAX_JOBS) {
            byJob.clear();
        }
        byJob.put(job.jobId(), new Decrypted(job.revision(), job.secretToken(), token));
        return token;
    }

    /** Drops the job's token (the job was deleted). */
    void forget(String jobId) {
        byJob.remove(jobId);
    }

    /** Jobs whose token is held. */
    int size() {
        return byJob.size();
    }

    @Override
    public String toString() {
        return "DecryptedTokens[jobs=" + byJob.size() + "]";
    }
}
