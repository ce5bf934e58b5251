package dev.provisioning.mapping;

/**
 * What one attribute mapping gives one user: the value the target receives, or why nothing is sent. The console's
 * "test a mapping" shows it (Entra's expression builder: "Test expression"); a cycle uses the same evaluation.
 *
 * @param outcome what happens to the target attribute
 * @param value the value sent (a String, Boolean or List as the target receives it; the default value for
 *        {@link Outcome#DEFAULT_ON_CREATE}), else null
 * @param createOnly whether the value is sent only when the user is created (apply "only during object creation", or a
 *        default value)
 * @param error why the evaluation failed ({@link Outcome#FAILED}: the user is logged as
 *        {@code ExpressionEvaluationFailed}), else null
 */
public record MappingValue(Outcome outcome, Object value, boolean createOnly, String error) {

    /** What happens to the target attribute. */
    public enum Outcome {
        /** The value is sent (always, or on create only when {@code createOnly}). */
        SENT,
        /** No value: the mapping's default value is sent when the user is created, nothing on update. */
        DEFAULT_ON_CREATE,
        /** No value and no default value: the attribute is not sent (Entra never sends null). */
        NOT_SENT,
        /** The expression asked for the attribute to be left out ({@code IgnoreFlowIfNullOrEmpty} and the like). */
        IGNORED,
        /** The expression failed, or a boolean target got a value that is not True or False. */
        FAILED
    }

    static MappingValue sent(Object value, boolean createOnly) {
        return new MappingValue(Outcome.SENT, value, createOnly, null);
    }

    static MappingValue failed(String error) {
        return new MappingValue(Outcome.FAILED, null, false, error);
    }
}
