package dev.provisioning.detector.api;

/**
 * Query parameters read as text and checked here, so that a bad value is a 400 problem naming the parameter: an
 * {@code int} parameter that does not parse ({@code limit=abc}) would be answered 404 by RESTEasy Reactive.
 */
public final class QueryParameters {

    private QueryParameters() {
    }

    /**
     * A whole number from 1 to {@code max}.
     *
     * @param name the parameter's name, as the problem names it
     * @param value the parameter as sent (not null)
     * @param max the largest value taken; {@link Long#MAX_VALUE} for a cursor ({@code before} of the audit log)
     * @throws InvalidJobException (400, {@code Invalid query parameter: <name> ...}) for anything else
     */
    public static long wholeNumber(String name, String value, long max) {
        try {
            long n = Long.parseLong(value.trim());
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the problem below
        }
        throw InvalidJobException.parameter(name, max == Long.MAX_VALUE
                ? "must be a positive whole number (the nextBefore of the previous page)"
                : "must be a whole number from 1 to " + max);
    }
}
