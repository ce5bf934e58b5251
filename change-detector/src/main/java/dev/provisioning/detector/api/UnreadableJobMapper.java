package dev.provisioning.detector.api;

import java.util.ArrayList;
import java.util.List;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import dev.provisioning.detector.persistence.UnreadableJob;
import dev.provisioning.detector.persistence.UnreadableJobException;
import dev.provisioning.rest.Problem;

/**
 * A job whose stored row this version cannot read ({@link UnreadableJob}), asked for on its own: every endpoint of
 * {@code /jobs/{id}} that needs the job (read, status, start, pause, restart, allow-deletes, test connection,
 * provision on demand, the console's calls) answers 409 Conflict with an RFC 9457 problem whose detail names the job,
 * what cannot be read, the request refused and the way out, and whose {@code errors[0]} names the field (no
 * {@code pointer}: it is the stored row's field, not the request's). The way out: {@code PUT /jobs/{id}} with the
 * job's whole configuration, secret token included (and the deletion threshold when the stored one is at fault),
 * repairs the row in place (same id, its state kept), unless the fault is outside what a request carries (field
 * {@code row}); {@code DELETE /jobs/{id}} deletes it. A {@code PUT} that leaves out a stored secret (a change that
 * keeps stored values) answers 409 as well, naming the fields it must send ({@link WholeConfigurationRequired}).
 * {@code GET /jobs} lists the job with the same problem ({@link JobView#of(UnreadableJob)}); its provisioning log and
 * audit log stay readable. Never a stored value: the store names fields and kinds of fault only. (Before, these
 * answers were 500: a fault of stored data, but one the caller can act on, and the repair was not offered.)
 */
public class UnreadableJobMapper {

    @ServerExceptionMapper
    public Response map(UnreadableJobException e, ContainerRequestContext request) {
        return problem(e.job(), request.getMethod() + " " + request.getUriInfo().getPath()).toResponse();
    }

    @ServerExceptionMapper
    public Response map(WholeConfigurationRequired e) {
        UnreadableJob job = e.job();
        List<Problem.FieldProblem> errors = new ArrayList<>();
        errors.add(new Problem.FieldProblem(job.field(), null, job.reason()));
        e.missing().forEach(m -> errors.add(Problem.FieldProblem.named(m.field(), m.message())));
        return new Problem("about:blank", Response.Status.CONFLICT.getReasonPhrase(), 409,
                stored(job) + " This PUT leaves out " + String.join(" and ", e.missing().stream()
                        .map(FieldError::field).toList())
                        + " to keep the stored value, but there is nothing to merge into: send the job's whole "
                        + "configuration with PUT /jobs/" + job.id() + ", every secret included, to repair the row "
                        + "in place (the job keeps its id, snapshot, managed objects and provisioning log).",
                errors).toResponse();
    }

    /**
     * The problem of an unreadable job, as {@code GET /jobs} lists it ({@code request} null) and the job's own
     * endpoints answer it.
     *
     * @param request the request refused ({@code POST /jobs/<id>/start}), or null for the list
     */
    static Problem problem(UnreadableJob job, String request) {
        String detail = stored(job) + (request == null
                ? " Its cycles do not run, and it can only be repaired or deleted: "
                : " " + request + " cannot be served until it is repaired or deleted: ")
                + wayOut(job)
                + (request != null && request.endsWith("/test-connection")
                        ? " (POST /jobs/test-connection tests a tenant URL and token that are not saved)"
                        : "")
                + ". Its provisioning log and audit log stay readable; the other jobs are not affected.";
        return new Problem("about:blank", Response.Status.CONFLICT.getReasonPhrase(), 409, detail,
                List.of(new Problem.FieldProblem(job.field(), null, job.reason())));
    }

    /** "Job <id> (<name>) is stored in a form this version cannot read: its <field> <reason>." */
    private static String stored(UnreadableJob job) {
        String name = job.name() == null || job.name().isBlank() ? "" : " (" + job.name() + ")";
        return "Job " + job.id() + name + " is stored in a form this version cannot read: its " + job.field() + " "
                + job.reason() + ".";
    }

    /** How the operator gets the job back: PUT of the whole configuration, or DELETE. */
    private static String wayOut(UnreadableJob job) {
        String delete = "DELETE /jobs/" + job.id() + " deletes it";
        if (!repairable(job)) {
            return "the fault is outside its configuration, so a PUT cannot repair it; " + delete
                    + " (create the job again afterwards)";
        }
        String included = job.field().equals(UnreadableJob.DELETION_THRESHOLD)
                ? "secretToken, deletionThreshold and deletionThresholdPercent included: the stored ones are in the "
                        + "unreadable row"
                : "secretToken included: the stored one is in the unreadable row";
        return "PUT /jobs/" + job.id() + " with the job's whole configuration (" + included + ") replaces the row in "
                + "place, keeping the job's id, snapshot, managed objects and provisioning log; or " + delete;
    }

    /**
     * Whether a PUT of a whole configuration repairs the row: its configuration, quarantine reason or deletion
     * threshold is at fault, not the rest of the row (its schedule, counts or claim, which no request carries).
     */
    static boolean repairable(UnreadableJob job) {
        return !job.field().equals("row");
    }
}
