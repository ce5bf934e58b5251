package dev.provisioning.detector.console;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Locale;

import dev.provisioning.events.job.AttributeMapping;

/** The bodies of the console's calls. */
public final class ConsoleViews {

    private ConsoleViews() {
    }

    /** The body of {@code POST /expressions/validate}. */
    public record ExpressionRequest(String expression) {
    }

    /**
     * Whether an expression parses, as a mapping of type Expression would be saved.
     *
     * @param errors the problem, naming {@code expression}, with the 1-based character {@code position}
     * @param attributes the source attributes it reads
     * @param functions the functions it calls
     */
    public record ExpressionValidation(boolean valid, List<ExpressionError> errors, List<String> attributes,
            List<String> functions) {
    }

    /** A parse error: {@code message} reads "at position N: what was expected". */
    public record ExpressionError(String field, String message, int position) {
    }

    /** The body of {@code POST /jobs/{id}/mappings/test}: a mapping (saved or not) and a user of the job's source. */
    public record MappingTestRequest(AttributeMapping mapping, String objectId) {
    }

    /**
     * What one mapping sends for one user.
     *
     * @param outcome SENT, DEFAULT_ON_CREATE (the default value, on create only), NOT_SENT (null: Entra never sends
     *        null), IGNORED (IgnoreFlowIfNullOrEmpty) or FAILED ({@code error} says why; the user would be logged as
     *        ExpressionEvaluationFailed)
     * @param value the value Druva receives, as JSON (string, boolean or list)
     * @param createOnly sent only when the user is created
     * @param scope null when the job provisions this user now, else why it does not
     */
    public record MappingTest(String objectId, String displayName, String target, String outcome, Object value,
            boolean createOnly, String error, String scope) {
    }

    /** A user or group of the job's source, to pick for a mapping test or provision on demand. */
    public record SourceObject(String id, String objectType, String displayName, String userPrincipalName,
            String mail) {

        boolean matches(String needle) {
            return needle.isEmpty() || contains(id, needle) || contains(displayName, needle)
                    || contains(userPrincipalName, needle) || contains(mail, needle);
        }

        private static boolean contains(String s, String needle) {
            return s != null && s.toLowerCase(Locale.ROOT).contains(needle);
        }
    }

    /**
     * The secret token's age.
     *
     * @param setAt when it was last set (null: never)
     * @param expiresAt when Druva stops taking it ({@code detector.token-lifetime} after {@code setAt})
     * @param expiringSoon within {@code detector.token-expiry-warning} of {@code expiresAt}
     */
    public record TokenExpiry(OffsetDateTime setAt, OffsetDateTime expiresAt, boolean expiringSoon, boolean expired) {
    }
}
