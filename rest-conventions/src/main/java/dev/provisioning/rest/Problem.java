package dev.provisioning.rest;

import java.util.List;

import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * An RFC 9457 problem details body ({@code application/problem+json}): {@code type} ({@code about:blank}: the status
 * says it all), {@code title} (the status phrase), {@code status}, {@code detail} (a sentence for the caller) and, for a
 * request body the API refused, {@code errors}: one entry per bad field. Absent members are left out.
 *
 * @param type a URI that identifies the problem type (RFC 9457 section 3.1.1)
 * @param title a short summary of the problem type: the HTTP status phrase
 * @param status the HTTP status code
 * @param detail what went wrong with this request; never a secret or a value the caller sent
 * @param errors the fields at fault, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, List<FieldProblem> errors) {

    /** The media type of a problem details body (RFC 9457 section 3). */
    public static final String MEDIA_TYPE = "application/problem+json";

    /**
     * One field at fault.
     *
     * @param field the field as the APIs' validation errors name it: {@code source.graph.clientId},
     *        {@code userMappings[1].source}
     * @param pointer the same field as a JSON Pointer (RFC 6901) into the request body: {@code /source/graph/clientId}
     * @param message what is wrong with it
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FieldProblem(String field, String pointer, String message) {

        /**
         * A field named as the APIs' validation errors name it, with its JSON Pointer derived from the name:
         * {@code userMappings[1].source} → {@code /userMappings/1/source}, {@code source.graph.clientId} →
         * {@code /source/graph/clientId} ({@code ~} and {@code /} escaped as RFC 6901 section 3 says).
         *
         * @param field dotted names with {@code [index]} for array elements; blank names the whole body ({@code ""})
         * @param message what is wrong with it
         */
        public static FieldProblem named(String field, String message) {
            return new FieldProblem(field, pointer(field), message);
        }

        private static String pointer(String field) {
            if (field == null || field.isBlank()) {
                return "";
            }
            StringBuilder pointer = new StringBuilder();
            for (String part : field.split("\\.", -1)) {
                int bracket = part.indexOf('[');
                String name = bracket < 0 ? part : part.substring(0, bracket);
                if (!name.isEmpty()) {
                    pointer.append('/').append(name.replace("~", "~0").replace("/", "~1"));
                }
                while (bracket >= 0) {
                    int close = part.indexOf(']', bracket);
                    if (close < 0) {
                        break;
                    }
                    pointer.append('/').append(part, bracket + 1, close);
                    bracket = part.indexOf('[', close);
                }
            }
            return pointer.toString();
        }
    }

    /** A problem with the given status, the status phrase as title, and a detail sentence. */
    public static Problem of(Response.Status status, String detail) {
        return new Problem("about:blank", status.getReasonPhrase(), status.getStatusCode(), detail, null);
    }

    /** A 400 naming the fields at fault. */
    public static Problem badRequest(String detail, List<FieldProblem> errors) {
        return new Problem("about:blank", Response.Status.BAD_REQUEST.getReasonPhrase(), 400, detail,
                List.copyOf(errors));
    }

    /** The response carrying this problem, with its status and media type. */
    public Response toResponse() {
        return Response.status(status).type(MEDIA_TYPE).entity(this).build();
    }
}
