package dev.provisioning.writer.api;

import java.util.List;

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

import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.MalformedEventException;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.job.EncryptedSecret;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.SecretCipher;
import dev.provisioning.writer.messaging.ResultPublisher;
import dev.provisioning.writer.persistence.EscrowStore;
import dev.provisioning.writer.provisioning.OperationProcessor;
import dev.provisioning.writer.scim.client.ScimClient;
import dev.provisioning.writer.scim.client.TenantTarget;

/**
 * The writer's synchronous API, for the change-detector: Entra's "Test Connection" and "Provision on demand". Both
 * use the same request code, rate limit and id map as the Kafka path; secrets arrive encrypted.
 */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class WriterResource {

    private final ScimClient client;
    private final OperationProcessor processor;
    private final ResultPublisher publisher;
    private final SecretCipher cipher;
    private final EscrowStore escrows;

    public WriterResource(ScimClient client, OperationProcessor processor, ResultPublisher publisher,
            SecretCipher cipher, EscrowStore escrows) {
        this.escrows = escrows;
        this.client = client;
        this.processor = processor;
        this.publisher = publisher;
        this.cipher = cipher;
    }

    /** The body of a connection test: the tenant URL and the token, encrypted. */
    public record ConnectionTestRequest(String tenantUrl, EncryptedSecret secretToken) {
    }

    /** The body of an on-demand operation: the job's configuration and the operation. */
    public record ExecuteRequest(JobConfig job, ScimOperation operation) {
    }

    @POST
    @Path("/connection-tests")
    public Uni<ConnectionTest.Result> testConnection(ConnectionTestRequest request) {
        if (request == null || request.tenantUrl() == null || request.secretToken() == null) {
            throw badRequest("tenantUrl and secretToken are required");
        }
        ConnectionTest.Result badUrl = ConnectionTest.checkUrl(request.tenantUrl());
        if (badUrl != null) {
            return Uni.createFrom().item(badUrl);
        }
        String token;
        try {
            token = cipher.decrypt(request.secretToken());
        } catch (IllegalArgumentException e) {
            throw badRequest("secretToken: " + e.getMessage());
        }
        TenantTarget target = new TenantTarget("connection-test", request.tenantUrl(), token, null, null);
        return client.sendOnce(target, ConnectionTest.request())
                .map(answer -> ConnectionTest.read(answer, request.tenantUrl()));
    }

    /**
     * Carries out one operation now and answers its result, which is also published on {@code provisioning.results}
     * so it appears in the provisioning log.
     */
    @POST
    @Path("/operations/execute")
    public Uni<ProvisioningResult> execute(ExecuteRequest request) {
        if (request == null || request.job() == null || request.operation() == null) {
            throw badRequest("job and operation are required");
        }
        ScimOperation op;
        try {
            op = EventChecks.operation(Json.write(request.operation()));
        } catch (MalformedEventException e) {
            throw badRequest(e.getMessage());
        }
        return processor.process(op, request.job(), false).chain(results -> {
            if (results.isEmpty()) {
                throw new WebApplicationException("the operation was escrowed for a later retry", 503);
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

    /** Escrowed objects of a job: waiting now, and discarded by the request. */
    public record EscrowCount(String jobId, long escrowed, long discarded) {
    }

    private static ProvisioningResult last(List<ProvisioningResult> results) {
        return results.get(results.size() - 1);
    }

    private static WebApplicationException badRequest(String message) {
        return new WebApplicationException(Response.status(400).type(MediaType.APPLICATION_JSON)
                .entity(java.util.Map.of("title", "Invalid request", "detail", message)).build());
    }
}
