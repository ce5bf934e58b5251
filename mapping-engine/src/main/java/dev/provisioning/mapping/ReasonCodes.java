package dev.provisioning.mapping;

/**
 * Codes the engine uses in addition to {@link dev.provisioning.events.ErrorCodes} (which lacks them).
 */
public final class ReasonCodes {

    /** An expression could not be evaluated for this user (e.g. a date that does not parse); nothing is sent. */
    public static final String EXPRESSION_EVALUATION_FAILED = "ExpressionEvaluationFailed";
    /**
     * A scoping regular expression ran out of its work budget and the user would otherwise have been taken out of
     * scope; nothing is changed rather than disabling a user on an inconclusive result.
     */
    public static final String SCOPING_EVALUATION_FAILED = "ScopingEvaluationFailed";
    /** The event is not about a user. */
    public static final String NOT_A_USER = "NotAUser";

    private ReasonCodes() {
    }
}
