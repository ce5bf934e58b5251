package dev.provisioning.detector.api;

import java.util.List;

import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.provisioning.rest.Problem;

/**
 * The RFC 9457 problem (409, {@code application/problem+json}) of a job whose stored row this version cannot read
 * ({@link UnreadableJobMapper}): the members of {@link Problem}, and two extension members (RFC 9457 section 3.2) that
 * a client reads without parsing the detail.
 *
 * @param type {@code about:blank}
 * @param title {@code Conflict}
 * @param status 409
 * @param detail names the job, every field that cannot be read with why, the request refused and the way out
 * @param errors one entry per field that cannot be read ({@code field} and {@code message}, no {@code pointer}: a field
 *        of the stored row, not of the request), then, for a PUT that cannot repair the job, one per field it must
 *        send ({@code field}, {@code pointer} into the request body, {@code message})
 * @param unreadableFields every field of the stored row that cannot be read, in order: {@code config} or a path into
 *        it ({@code config.scope}), {@code quarantine_reason}, {@code deletion_threshold}, {@code row}
 * @param missingFields for a PUT that cannot repair the job, every field of the request it must send and left out
 *        ({@code secretToken}, {@code source.graph.clientSecret}, {@code deletionThreshold},
 *        {@code deletionThresholdPercent}); absent otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UnreadableJobProblem(String type, String title, int status, String detail,
        List<Problem.FieldProblem> errors, List<String> unreadableFields, List<String> missingFields) {

    /** The response carrying this problem, with its status and media type. */
    public Response toResponse() {
        return Response.status(status).type(Problem.MEDIA_TYPE).entity(this).build();
    }
}
