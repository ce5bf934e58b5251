package dev.provisioning.mapping.regex;

/**
 * A regular expression needed more work than its budget allows on one input (catastrophic backtracking). Callers treat
 * it as "no match" and report why. Carries no stack trace: it is an expected outcome, not a bug.
 */
public final class RegexBudgetExceededException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public RegexBudgetExceededException(String pattern, long budget) {
        super("regular expression /" + pattern + "/ gave up after " + budget + " steps (catastrophic backtracking?)",
                null, false, false);
    }
}
