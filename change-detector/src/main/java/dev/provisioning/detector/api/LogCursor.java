package dev.provisioning.detector.api;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Base64;

import dev.provisioning.detector.persistence.ProvisioningLogRepository.Position;

/**
 * The {@code before} cursor of the provisioning log's pages: opaque to callers, base64url (no padding) of
 * {@code p1\n<job id>\n<occurred_at, ISO-8601 UTC>\n<result id>}, the last record of the previous page. The job id
 * makes a cursor of another job's log (or any other text) a 400 naming {@code before} rather than a silently wrong page;
 * the result id comes last because it may hold any character.
 */
final class LogCursor {

    private static final String VERSION = "p1";
    private static final String INVALID = "must be the cursor this job's log answered for its next page "
            + "(X-Next-Before, or the before of its Link rel=\"next\"), unchanged";

    private LogCursor() {
    }

    /** The cursor of {@code position} in job {@code jobId}'s log. */
    static String encode(String jobId, Position position) {
        String text = VERSION + "\n" + jobId + "\n" + position.occurredAt().toInstant() + "\n" + position.resultId();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The position a cursor of job {@code jobId}'s log names.
     *
     * @throws InvalidJobException naming {@code before} when it is not base64url, not of this version, of another job,
     *         or its time or result id cannot be read
     */
    static Position decode(String jobId, String cursor) {
        String text;
        try {
            text = new String(Base64.getUrlDecoder().decode(cursor.trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
        String prefix = VERSION + "\n" + jobId + "\n";
        if (!text.startsWith(prefix)) {
            throw invalid();
        }
        String rest = text.substring(prefix.length());
        int end = rest.indexOf('\n');
        if (end < 0 || end == rest.length() - 1) {
            throw invalid();
        }
        try {
            return new Position(OffsetDateTime.ofInstant(Instant.parse(rest.substring(0, end)), ZoneOffset.UTC),
                    rest.substring(end + 1));
        } catch (DateTimeParseException e) {
            throw invalid();
        }
    }

    private static InvalidJobException invalid() {
        return InvalidJobException.parameter("before", INVALID);
    }
}
