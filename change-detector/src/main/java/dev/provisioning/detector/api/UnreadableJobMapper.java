package dev.provisioning.detector.api;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import dev.provisioning.detector.persistence.UnreadableJob;
import dev.provisioning.detector.persistence.UnreadableJobException;
import dev.provisioning.rest.Problem;

/**
 * A job whose stored row this version cannot read ({@link UnreadableJob}), asked for on its own: every endpoint of
 * {@code /jobs/{id}} that needs the job (read, status, start, pause, restart, allow-deletes, test connection,
 * provision on demand, the console's calls) answers 409 Conflict with an RFC 9457 problem
 * ({@link UnreadableJobProblem}) whose detail names the job, every field that cannot be read, the request refused and
 * the way out, whose {@code errors} has one entry per such field (no {@code pointer}: it is the stored row's field,
 * not the request's) and whose {@code unreadableFields} lists them. The way out: {@code PUT /jobs/{id}} with the job's
 * whole configuration, secret token included (and the deletion threshold when the stored one is at fault), repairs
 * the row in place (same id, its state kept), unless a fault is outside what a request carries (field {@code row});
 * {@code DELETE /jobs/{id}} deletes it. A {@code PUT} that leaves out what the repair needs (a stored secret, the
 * deletion threshold that cannot be read) answers 409 as well, naming every field it must send in its detail,
 * {@code errors} and {@code missingFields} ({@link WholeConfigurationRequired}). {@code GET /jobs} lists the job with
 * the same problem ({@link JobView#of(UnreadableJob)}); its provisioning log and audit log stay readable. Never a
 * stored value in a problem: the store names fields and kinds of fault only. (Before, these answers were 500: a fault
 * of stored data, but one the caller can act on, and the repair was not offered. Later, they named only the first
 * field at fault, so a repair that mended it was refused for the next.)
 */
public class UnreadableJobMapper {

    @ServerExceptionMapper
    public Response map(UnreadableJobException e, ContainerRequestContext request) {
        return problem(e.job(), request.getMethod() + " " + request.getUriInfo().getPath()).toResponse();
    }

    @ServerExceptionMapper
    public Response map(WholeConfigurationRequired e) {
        UnreadableJob job = e.job();
        List<Problem.FieldProblem> errors = new ArrayList<>(unreadable(job));
        e.missing().forEach(m -> errors.add(Problem.FieldProblem.named(m.field(), m.message())));
        List<String> missing = e.missing().stream().map(FieldError::field).toList();
        return new UnreadableJobProblem("about:blank", Response.Status.CONFLICT.getReasonPhrase(), 409,
                stored(job) + " This PUT leaves out " + joined(missing) + " to keep the stored value"
                        + (missing.size() == 1 ? "" : "s") + ", but there is nothing to merge into: send the job's "
                        + "whole configuration with PUT /jobs/" + job.id() + " (" + included(job) + ") to repair "
                        + "the row in place (the job keeps its id, snapshot, managed objects and provisioning log).",
                List.copyOf(errors), job.fields(), missing).toResponse();
    }

    /**
     * The problem of an unreadable job, as {@code GET /jobs} lists it ({@code request} null) and the job's own
     * endpoints answer it.
     *
     * @param request the request refused ({@code POST /jobs/<id>/start}), or null for the list
     */
    static UnreadableJobProblem problem(UnreadableJob job, String request) {
        String detail = stored(job) + (request == null
                ? " Its cycles do not run, and it can only be repaired or deleted: "
                : " " + request + " cannot be served until it is repaired or deleted: ")
                + wayOut(job)
                + (request != null && request.endsWith("/test-connection")
                        ? " (POST /jobs/test-connection tests a tenant URL and token that are not saved)"
                        : "")
                + ". Its provisioning log and audit log stay readable; the other jobs are not affected.";
        return new UnreadableJobProblem("about:blank", Response.Status.CONFLICT.getReasonPhrase(), 409, detail,
                unreadable(job), job.fields(), null);
    }

    /** One entry per field that cannot be read, without a pointer (a field of the stored row). */
    private static List<Problem.FieldProblem> unreadable(UnreadableJob job) {
        return job.faults().stream().map(f -> new Problem.FieldProblem(f.field(), null, f.reason())).toList();
    }

    /**
     * "Job <id> (<name>) is stored in a form this version cannot read: its <field> <reason>." One fault is named so;
     * several are counted, listed and each named with its reason: "... cannot read, 2 fields (config.scope and
     * deletion_threshold): its config.scope has ...; and its deletion_threshold cannot be read: ...".
     */
    private static String stored(UnreadableJob job) {
        String name = job.name() == null || job.name().isBlank() ? "" : " (" + job.name() + ")";
        int n = job.faults().size();
        return "Job " + job.id() + name + " is stored in a form this version cannot read" + (n == 1
                ? ""
                : ", " + n + " fields (" + joined(job.fields()) + ")") + ": its "
                + job.faults().stream().map(UnreadableJob.Fault::describe).collect(Collectors.joining("; and its "))
                + ".";
    }

    /** "a", "a and b", "a, b and c" */
    private static String joined(List<String> names) {
        return names.size() <= 1
                ? String.join("", names)
                : String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.get(names.size() - 1);
    }

    /** What a repair must send that no stored value can stand for, as the way out says it. */
    private static String included(UnreadableJob job) {
        return job.has(UnreadableJob.DELETION_THRESHOLD)
                ? "secretToken, deletionThreshold and deletionThresholdPercent included: the stored ones are in the "
                        + "unreadable row"
                : "secretToken included: the stored one is in the unreadable row";
    }

    /** How the operator gets the job back: PUT of the whole configuration, or DELETE. */
    private static String wayOut(UnreadableJob job) {
        String delete = "DELETE /jobs/" + job.id() + " deletes it";
        if (!job.repairable()) {
            return "the fault is outside its configuration, so a PUT cannot repair it; " + delete
                    + " (create the job again afterwards)";
        }
        return "PUT /jobs/" + job.id() + " with the job's whole configuration (" + included(job) + ") replaces the row "
                + "in place, keeping the job's id, snapshot, managed objects and provisioning log; or " + delete;
    }
}
