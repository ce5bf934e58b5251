package dev.provisioning.notifier.digest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Builds the failure digest of one job and one window: counts by error code (most frequent first, ties by code), the
 * first {@code maxLines} failed objects in the order they arrived, the total, and a subject that names the job and the
 * problem. Plain Java, no framework.
 */
public final class DigestComposer {

    /** How many error codes the subject names before it says "...". */
    static final int CODES_IN_SUBJECT = 3;

    private final int maxLines;
    private final String subjectPrefix;

    public DigestComposer(int maxLines, String subjectPrefix) {
        if (maxLines < 1) {
            throw new IllegalArgumentException("notifier.max-lines must be at least 1, was " + maxLines);
        }
        this.maxLines = maxLines;
        this.subjectPrefix = subjectPrefix == null ? "" : subjectPrefix.strip();
    }

    /**
     * The identity of a job's digest for the window that opened at {@code windowStart}: the same inputs always give
     * the same id, so a digest sent again after a crash keeps its Message-ID.
     */
    public static String digestId(String jobId, Instant windowStart) {
        return "failures/" + jobId + "/" + windowStart;
    }

    /**
     * A stable RFC 5322 Message-ID for a digest: a hash of its id (job ids may hold characters a Message-ID cannot).
     */
    public static String messageId(String digestId, String domain) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(digestId.getBytes(StandardCharsets.UTF_8));
            return "<digest-" + HexFormat.of().formatHex(hash, 0, 16) + "@" + domain + ">";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /**
     * Composes the digest.
     *
     * @param failures the window's failures in the order they arrived; not empty
     */
    public Digest compose(String jobId, String jobName, Instant windowStart, Instant windowEnd,
            List<FailedObject> failures) {
        if (failures.isEmpty()) {
            throw new IllegalArgumentException("a digest needs at least one failure (job " + jobId + ")");
        }
        Map<String, Long> byCode = failures.stream()
                .collect(Collectors.groupingBy(FailedObject::code, LinkedHashMap::new, Collectors.counting()));
        List<Digest.CodeCount> counts = byCode.entrySet().stream()
                .map(e -> new Digest.CodeCount(e.getKey(), e.getValue().intValue()))
                .sorted(Comparator.comparingInt(Digest.CodeCount::count).reversed()
                        .thenComparing(Digest.CodeCount::code))
                .toList();
        List<FailedObject> lines = failures.size() > maxLines ? failures.subList(0, maxLines) : failures;
        String subject = subject(jobId, jobName, failures.size(), counts);
        return new Digest(digestId(jobId, windowStart), jobId, jobName, windowStart, windowEnd, failures.size(),
                counts, lines, subject);
    }

    /** For example {@code [Provisioning] Druva (job-1): 12 failures (MandatoryFieldsMissing 10, EntryConflict 2)}. */
    String subject(String jobId, String jobName, int total, List<Digest.CodeCount> counts) {
        StringBuilder s = new StringBuilder();
        if (!subjectPrefix.isEmpty()) {
            s.append(subjectPrefix).append(' ');
        }
        if (jobName == null || jobName.isBlank()) {
            s.append(jobId);
        } else {
            s.append(jobName).append(" (").append(jobId).append(')');
        }
        s.append(": ").append(total).append(total == 1 ? " failure" : " failures").append(" (");
        s.append(counts.stream().limit(CODES_IN_SUBJECT).map(c -> c.code() + " " + c.count())
                .collect(Collectors.joining(", ")));
        if (counts.size() > CODES_IN_SUBJECT) {
            s.append(", ...");
        }
        return s.append(')').toString();
    }
}
