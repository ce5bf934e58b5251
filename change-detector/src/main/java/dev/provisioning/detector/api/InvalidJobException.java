package dev.provisioning.detector.api;

import java.util.List;

import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import dev.provisioning.rest.Problem;

/**
 * A job configuration (or a request about a job) that was refused: answered with 400, an RFC 9457 problem
 * ({@code application/problem+json}) whose {@code errors} name every bad field (its name, JSON Pointer and message).
 */
public class InvalidJobException extends RuntimeException {

    private final String summary;
    private final List<FieldError> errors;

    /** A refused job configuration: detail {@code Invalid job configuration: ...}. */
    public InvalidJobException(List<FieldError> errors) {
        this("Invalid job configuration", errors);
    }

    private InvalidJobException(String summary, List<FieldError> errors) {
        super(summary + ": " + errors);
        this.summary = summary;
        this.errors = List.copyOf(errors);
    }

    /**
     * A refused request about a job, not its configuration (a provision on demand's {@code objectId}, a restart's
     * {@code resetScope}, a mapping or expression under test): detail {@code Invalid request: <field> <message>}, so that
     * the caller is not told the saved job is at fault.
     */
    public static InvalidJobException request(List<FieldError> errors) {
        return new InvalidJobException("Invalid request", errors);
    }

    /**
     * A refused query parameter ({@code limit=abc}, a foreign {@code before}): detail {@code Invalid query parameter:
     * <name> <message>}, the parameter named in {@code errors} as a field is.
     */
    public static InvalidJobException parameter(String name, String message) {
        return new InvalidJobException("Invalid query parameter", List.of(new FieldError(name, message)));
    }

    /**
     * Refused query parameters (unknown ones, each named): detail {@code Invalid query parameter: <first name>
     * <message>} and how many more, every parameter named in {@code errors}.
     */
    public static InvalidJobException parameters(List<FieldError> errors) {
        return new InvalidJobException("Invalid query parameter", errors);
    }

    public List<FieldError> errors() {
        return errors;
    }

    /**
     * The problem a caller gets: detail {@code Invalid job configuration: <first field> <message>} (and how many more;
     * {@code Invalid request: ...} for {@link #request}, {@code Invalid query parameter: ...} for {@link #parameter}),
     * one {@link Problem.FieldProblem} per error.
     */
    public Problem problem() {
        String detail = summary;
        if (!errors.isEmpty()) {
            FieldError first = errors.get(0);
            detail += ": " + first.field() + " " + first.message()
                    + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : "");
        }
        return Problem.badRequest(detail,
                errors.stream().map(e -> Problem.FieldProblem.named(e.field(), e.message())).toList());
    }

    /** Maps the exception to its 400 problem. */
    public static class Mapper {

        @ServerExceptionMapper
        public Response map(InvalidJobException e) {
            return e.problem().toResponse();
        }
    }
}
