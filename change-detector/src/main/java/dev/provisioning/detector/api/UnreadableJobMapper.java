package dev.provisioning.detector.api;

import java.util.List;

import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import dev.provisioning.detector.persistence.UnreadableJob;
import dev.provisioning.detector.persistence.UnreadableJobException;
import dev.provisioning.rest.Problem;

/**
 * A job whose stored row this version cannot read ({@link UnreadableJob}), asked for on its own: every endpoint of
 * {@code /jobs/{id}} (read, status, logs, change, start, pause, restart, allow-deletes, the console's calls) answers
 * 500 with an RFC 9457 problem whose detail names the job and what cannot be read, and whose {@code errors} name the
 * field (no {@code pointer}: it is the stored row's field, not the request's). {@code GET /jobs} lists the job with the
 * same problem ({@link JobView#of(UnreadableJob)}); {@code DELETE /jobs/{id}} deletes it. Never a stored value: the
 * store names fields and kinds of fault only.
 */
public class UnreadableJobMapper {

    @ServerExceptionMapper
    public Response map(UnreadableJobException e) {
        return problem(e.job()).toResponse();
    }

    /** The problem of an unreadable job, as {@code GET /jobs/{id}} answers it and {@code GET /jobs} lists it. */
    static Problem problem(UnreadableJob job) {
        String name = job.name() == null || job.name().isBlank() ? "" : " (" + job.name() + ")";
        return new Problem("about:blank", Response.Status.INTERNAL_SERVER_ERROR.getReasonPhrase(), 500,
                "Job " + job.id() + name + " is stored in a form this version cannot read: its " + job.field() + " "
                        + job.reason() + ". Its cycles do not run and it cannot be changed until its row is "
                        + "repaired or the job is deleted (DELETE /jobs/" + job.id() + "); the other jobs are not "
                        + "affected.",
                List.of(new Problem.FieldProblem(job.field(), null, job.reason())));
    }
}
