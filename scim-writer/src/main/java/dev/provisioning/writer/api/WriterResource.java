package dev.provisioning.writer.api;

import java.util.List;
import java.util.Optional;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.MalformedEventException;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobDirectory;
import dev.provisioning.rest.Problem;
import dev.provisioning.writer.config.WriterConfig;
import dev.provisioning.writer.messaging.ResultPublisher;
import dev.provisioning.writer.persistence.EscrowStore;
import dev.provisioning.writer.provisioning.OperationProcessor;
import dev.provisioning.writer.scim.client.ScimClient;
import dev.provisioning.writer.scim.client.TenantTarget;

/**
 * The writer's internal API, for the change-detector only (role {@link Roles#SERVICE}): Entra's "Test Connection" and
 * "Provision on demand", and a job's escrow. A saved job is named by its id: the writer uses that job's stored token
 * for that job's stored tenant URL, from its own copy of {@code provisioning.jobs} (waiting up to
 * {@code writer.job-wait-timeout} for the revision the caller just saved), and never decrypts a secret a caller hands
 * in. Only the test of an unsaved configuration takes a token, in clear (the administrator's, just typed), and sends it
 * nowhere but the tenant URL given with it. Requests use the same request code, rate limit and id map as the Kafka
 * path. Errors are RFC 9457 problem details.
 */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.SERVICE)
public class WriterResource {

    private final ScimClient client;
    private final OperationProcessor processor;
    private final ResultPublisher publisher;
    private final EscrowStore escrows;
    private final JobDirectory jobs;
    private final WriterConfig config;

    public WriterResource(ScimClient client, OperationProcessor processor, ResultPublisher publisher,
            EscrowStore escrows, JobDirectory jobs, WriterConfig config) {
        this.escrows = escrows;
        this.client = client;
        this.processor = processor;
        this.publisher = publisher;
        this.jobs = jobs;
        this.config = config;
    }

    /**
     * The body of a saved job's connection test (optional).
     *
     * @param expectedRevision the job's revision as the caller saved it; the writer waits until it knows that revision
     *        or a later one. Absent: any revision.
     */
    public record SavedJobRequest(Long expectedRevision) {
    }

    /**
     * The body of an unsaved configuration's connection test.
     *
     * @param tenantUrl Druva's SCIM base URL
     * @param secretToken the token in clear, as the administrator typed it (a string: an encrypted secret is refused)
     */
    public record UnsavedConnectionTestRequest(String tenantUrl, String secretToken) {

        @Override
        public String toString() {
            return "UnsavedConnectionTestRequest[tenantUrl=" + tenantUrl + ", secretToken=***]";
        }
    }

    /**
     * The body of an on-demand operation.
     *
     * @param expectedRevision the job's revision the operation was made from; the writer waits until it knows it
     * @param operation the operation; its {@code jobId} must be the job of the path
     */
    public record ExecuteRequest(Long expectedRevision, ScimOperation operation) {
    }

    /** Escrowed objects of a job: waiting now, and discarded by the request. */
    public record EscrowCount(String jobId, long escrowed, long discarded) {
    }

    /** Tests a saved job's connection: Entra's test query with the job's stored tenant URL and token. */
    @POST
    @Path("/jobs/{jobId}/connection-test")
    public Uni<ConnectionTest.Result> testSavedConnection(@PathParam("jobId") String jobId,
            SavedJobRequest request) {
        long revision = request == null || request.expectedRevision() == null ? 0 : request.expectedRevision();
        return job(jobId, revision).chain(job -> {
            ConnectionTest.Result badUrl = ConnectionTest.checkUrl(job.tenantUrl(), config.allowInsecureLoopback());
            if (badUrl != null) {
                return Uni.createFrom().item(badUrl);
            }
            TenantTarget target;
            try {
                target = processor.targetOf(job);
            } catch (IllegalArgumentException e) {
                throw problem(Response.Status.CONFLICT, "job " + jobId + " cannot be tested: " + e.getMessage());
            }
            return client.sendOnce(target, ConnectionTest.request())
                    .map(answer -> ConnectionTest.read(answer, job.tenantUrl()));
        });
    }

    /**
     * Tests a configuration that is not saved: the tenant URL and the administrator's token in clear. The token goes to
     * that URL only, and nowhere else (not to a log, not to Kafka).
     */
    @POST
    @Path("/connection-tests")
    public Uni<ConnectionTest.Result> testUnsavedConnection(UnsavedConnectionTestRequest request) {
        if (request == null || request.tenantUrl() == null || request.tenantUrl().isBlank()
                || request.secretToken() == null || request.secretToken().isBlank()) {
            throw badRequest("tenantUrl and secretToken are required",
                    request == null || request.tenantUrl() == null || request.tenantUrl().isBlank()
                            ? "tenantUrl"
                            : "secretToken");
        }
        ConnectionTest.Result badUrl = ConnectionTest.checkUrl(request.tenantUrl(), config.allowInsecureLoopback());
        if (badUrl != null) {
            return Uni.createFrom().item(badUrl);
        }
        TenantTarget target = new TenantTarget("connection-test", request.tenantUrl(), request.secretToken(), null,
                null);
        return client.sendOnce(target, ConnectionTest.request())
                .map(answer -> ConnectionTest.read(answer, request.tenantUrl()));
    }

    /**
     * Carries out one operation of a saved job now, with the job's stored tenant and token, and answers its result,
     * which is also published on {@code provisioning.results} so it appears in the provisioning log.
     */
    @POST
    @Path("/jobs/{jobId}/operations")
    public Uni<ProvisioningResult> execute(@PathParam("jobId") String jobId, ExecuteRequest request) {
        if (request == null || request.operation() == null) {
            throw badRequest("operation is required", "operation");
        }
        ScimOperation op;
        try {
            op = EventChecks.operation(Json.write(request.operation()));
        } catch (MalformedEventException e) {
            throw badRequest(e.getMessage(), "operation");
        }
        if (!jobId.equals(op.jobId())) {
            throw badRequest("the operation belongs to another job than " + jobId, "operation.jobId");
        }
        long revision = request.expectedRevision() == null ? 0 : request.expectedRevision();
        return job(jobId, revision).chain(job -> processor.process(op, job, false)).chain(results -> {
            if (results.isEmpty()) {
                throw problem(Response.Status.SERVICE_UNAVAILABLE, "the operation was escrowed for a later retry");
            }
            return publisher.publishAll(results).map(ignored -> last(results));
        });
    }

    /** How many of the job's objects wait in escrow. */
    @GET
    @Path("/jobs/{jobId}/escrows")
    public Uni<EscrowCount> escrowed(@PathParam("jobId") String jobId) {
        return escrows.countForJob(jobId).map(n -> new EscrowCount(jobId, n, 0));
    }

    /** Discards the job's escrows (Entra's restart with reset scope Escrows): they are not retried any more. */
    @DELETE
    @Path("/jobs/{jobId}/escrows")
    public Uni<EscrowCount> discardEscrows(@PathParam("jobId") String jobId) {
        return escrows.deleteJob(jobId).map(n -> new EscrowCount(jobId, 0, n));
    }

    /**
     * The job as the writer knows it from {@code provisioning.jobs}, at {@code revision} or later, waiting up to
     * {@code writer.job-wait-timeout}; 404 when it does not arrive. Comes back on the request's Vert.x context (the
     * directory completes on the jobs consumer's thread), where the processor expects it.
     */
    private Uni<JobConfig> job(String jobId, long revision) {
        Optional<JobConfig> known = jobs.find(jobId).filter(j -> j.revision() >= revision);
        if (known.isPresent()) {
            return Uni.createFrom().item(known.get());
        }
        Context context = Vertx.currentContext();
        Uni<JobConfig> waiting = Uni.createFrom().completionStage(() -> jobs.await(jobId, revision))
                .ifNoItem().after(config.jobWaitTimeout()).failWith(() -> problem(Response.Status.NOT_FOUND,
                        "the scim-writer has not received job " + jobId
                                + (revision > 0 ? " at revision " + revision + " or later" : "")
                                + " on provisioning.jobs"
                                + " within " + config.jobWaitTimeout().toSeconds() + " s"));
        return context == null ? waiting : waiting.emitOn(task -> context.runOnContext(ignored -> task.run()));
    }

    private static ProvisioningResult last(List<ProvisioningResult> results) {
        return results.get(results.size() - 1);
    }

    private static WebApplicationException badRequest(String message, String field) {
        return new WebApplicationException(Problem.badRequest(message,
                List.of(new Problem.FieldProblem(field, "/" + field.replace('.', '/'), message))).toResponse());
    }

    private static WebApplicationException problem(Response.Status status, String detail) {
        return new WebApplicationException(Problem.of(status, detail).toResponse());
    }
}
