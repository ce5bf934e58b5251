package dev.provisioning.mapping.expression;

/** An expression could not be evaluated for one object (for example a date that does not parse). */
public class EvaluationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public EvaluationException(String message) {
        super(message);
    }

    public EvaluationException(String message, Throwable cause) {
        super(message, cause);
    }
}
