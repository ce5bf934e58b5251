package dev.provisioning.detector.api;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

import jakarta.ws.rs.core.UriInfo;

import dev.provisioning.detector.cycle.ProvisionOnDemand;

/**
 * Query parameters read as text and checked here, so that a bad value is a 400 problem naming the parameter: an
 * {@code int} parameter that does not parse ({@code limit=abc}) would be answered 404 by RESTEasy Reactive. A
 * parameter an endpoint does not take is a 400 naming it ({@link #only}): a misspelt filter is not silently ignored
 * (an answer of every record, or none, that looks like an answer).
 */
public final class QueryParameters {

    private QueryParameters() {
    }

    /**
     * Refuses every query parameter not in {@code accepted}.
     *
     * @param uri the request
     * @param accepted the parameters the endpoint takes, in the order its documentation lists them
     * @throws InvalidJobException (400, {@code Invalid query parameter: <name> is not a parameter of this endpoint
     *         (it takes ...)}), one error per unknown parameter, in the order sent
     */
    public static void only(UriInfo uri, String... accepted) {
        List<String> known = Arrays.asList(accepted);
        String takes = accepted.length == 0
                ? "it takes none"
                : "it takes " + String.join(", ", accepted);
        List<FieldError> errors = uri.getQueryParameters().keySet().stream().filter(name -> !known.contains(name))
                .map(name -> new FieldError(name, "is not a parameter of this endpoint (" + takes + ")")).toList();
        if (!errors.isEmpty()) {
            throw InvalidJobException.parameters(errors);
        }
    }

    /**
     * One of the values an enumeration's constants name, as written (case included): the values stored are these
     * names, so another spelling would match nothing.
     *
     * @param value the parameter as sent; null when absent
     * @return {@code value}, or null when absent
     * @throws InvalidJobException (400, {@code Invalid query parameter: <name> must be one of ...})
     */
    public static String oneOf(String name, String value, Class<? extends Enum<?>> values) {
        if (value == null) {
            return null;
        }
        List<String> names = Arrays.stream(values.getEnumConstants()).map(Enum::name).toList();
        if (names.contains(value)) {
            return value;
        }
        throw InvalidJobException.parameter(name, "must be one of " + String.join(", ", names) + " (as written)");
    }

    /**
     * A cycle's id: a UUID, or {@code on-demand-<UUID>} for a provision on demand.
     *
     * @return {@code value}, or null when absent
     * @throws InvalidJobException (400, {@code Invalid query parameter: <name> must be a cycle's id ...})
     */
    public static String cycleId(String name, String value) {
        if (value == null) {
            return null;
        }
        String uuid = value.startsWith(ProvisionOnDemand.CYCLE_PREFIX)
                ? value.substring(ProvisionOnDemand.CYCLE_PREFIX.length())
                : value;
        try {
            if (uuid.length() == 36 && UUID.fromString(uuid).toString().equalsIgnoreCase(uuid)) {
                return value.toLowerCase(Locale.ROOT);
            }
        } catch (IllegalArgumentException e) {
            // the problem below
        }
        throw InvalidJobException.parameter(name,
                "must be a cycle's id: a UUID, or on-demand-<UUID> for a provision on demand");
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
