package dev.provisioning.mapping.expression;

/**
 * An expression is not valid: a syntax error, an unknown function or a wrong number of arguments.
 * {@link #getMessage()} reads {@code at position N: what was expected}; positions are 1-based character offsets into
 * the expression text.
 */
public class ExpressionParseException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int position;
    private final String detail;

    public ExpressionParseException(int position, String detail) {
        super("at position " + position + ": " + detail);
        this.position = position;
        this.detail = detail;
    }

    /** The 1-based position of the offending character (the length of the text plus one at its end). */
    public int position() {
        return position;
    }

    /** The message without its position prefix. */
    public String detail() {
        return detail;
    }
}
