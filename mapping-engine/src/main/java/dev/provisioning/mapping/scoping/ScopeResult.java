package dev.provisioning.mapping.scoping;

/**
 * The outcome of the scoping filters for one object.
 *
 * @param inScope whether the object passes
 * @param reason why it does not pass (null when in scope)
 * @param inconclusive true when a regular expression ran out of budget and counted as false; an out-of-scope result is
 *        then not trustworthy
 */
public record ScopeResult(boolean inScope, String reason, boolean inconclusive) {

    /** In scope. */
    public static final ScopeResult IN_SCOPE = new ScopeResult(true, null, false);
}
