package dev.provisioning.detector.writer;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.CompletionException;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.job.JobConfig;

/**
 * The scim-writer's internal API ({@code detector.writer-url}): test connection, provision on demand and the job's
 * escrow. Every call carries the change-detector's service token ({@link WriterCredentials}, role
 * {@code Provisioning.Service}). A saved job is named by its id and revision: the writer uses that job's stored secret
 * for that job's stored tenant URL, from its own copy of {@code provisioning.jobs}, and never takes a secret for a job
 * from a caller. Only the test of an unsaved configuration carries a token: the administrator's, in clear, just typed.
 */
@ApplicationScoped
public class WriterClient {

    private static final Logger LOG = Logger.getLogger(WriterClient.class);

    private final HttpClient http;
    private final DetectorConfig config;
    private final WriterCredentials credentials;

    public WriterClient(DetectorConfig config, WriterCredentials credentials) {
        this.config = config;
        this.credentials = credentials;
        this.http = HttpClient.newBuilder().connectTimeout(config.writerTimeout()).build();
    }

    /**
     * The writer's answer to a connection test.
     *
     * @param success whether Druva accepted the token and answered the test query as expected
     * @param httpStatus Druva's status (0 when it could not be reached)
     * @param errorCode Entra's code on failure (e.g. {@code InvalidCredentials}), else null
     * @param message a sentence for the administrator
     */
    public record ConnectionTestResult(boolean success, int httpStatus, String errorCode, String message) {
    }

    /**
     * The body of {@code POST /jobs/{jobId}/connection-test} and the revision part of an on-demand operation.
     *
     * @param expectedRevision the job's revision the detector saved: the writer waits briefly until its copy of
     *        {@code provisioning.jobs} has it (or a later one)
     */
    record SavedJobRequest(long expectedRevision) {
    }

    /** The body of {@code POST /connection-tests}: an unsaved configuration, with the administrator's token in clear. */
    record UnsavedConnectionTestRequest(String tenantUrl, String secretToken) {

        @Override
        public String toString() {
            return "UnsavedConnectionTestRequest[tenantUrl=" + tenantUrl + ", secretToken=***]";
        }
    }

    /** The body of {@code POST /jobs/{jobId}/operations}. */
    record ExecuteRequest(long expectedRevision, ScimOperation operation) {
    }

    /**
     * Asks the writer to test a saved job's connection, Entra's {@code GET /Users?filter=userName eq "<random>"}, with
     * the job's stored tenant URL and token as of {@code job}'s revision.
     */
    public Uni<ConnectionTestResult> testConnection(JobConfig job) {
        return post("/jobs/" + encode(job.jobId()) + "/connection-test",
                Json.write(new SavedJobRequest(job.revision())))
                .map(body -> Json.read(body, ConnectionTestResult.class));
    }

    /**
     * Asks the writer to test a configuration that is not saved: the tenant URL and the token the administrator just
     * sent (the one call that carries a token, in clear, to the writer alone; see the README).
     */
    public Uni<ConnectionTestResult> testUnsavedConnection(String tenantUrl, String secretToken) {
        return post("/connection-tests", Json.write(new UnsavedConnectionTestRequest(tenantUrl, secretToken)))
                .map(body -> Json.read(body, ConnectionTestResult.class));
    }

    /**
     * Asks the writer to execute one operation of {@code job} now (provision on demand), with the job's stored tenant
     * and token as of {@code job}'s revision, and returns its result.
     */
    public Uni<ProvisioningResult> execute(JobConfig job, ScimOperation operation) {
        return post("/jobs/" + encode(job.jobId()) + "/operations",
                Json.write(new ExecuteRequest(job.revision(), operation)))
                .map(EventChecks::result);
    }

    /** The writer's count of a job's escrowed objects. */
    public record EscrowCount(String jobId, long escrowed, long discarded) {
    }

    /**
     * How many of the job's objects wait in the writer's escrow. Asked on every status read (the console polls it each
     * second while a cycle runs): a writer that cannot answer, stopping or restarting, shows as an unknown count in the
     * status and is logged at DEBUG, not as a warning per poll.
     */
    public Uni<EscrowCount> escrowed(String jobId) {
        return send("GET", "/jobs/" + encode(jobId) + "/escrows", null, true)
                .map(body -> Json.read(body, EscrowCount.class));
    }

    /** Discards the job's escrows (restart with reset scope Escrows). */
    public Uni<EscrowCount> discardEscrows(String jobId) {
        return send("DELETE", "/jobs/" + encode(jobId) + "/escrows", null)
                .map(body -> Json.read(body, EscrowCount.class));
    }

    private static String encode(String pathSegment) {
        return java.net.URLEncoder.encode(pathSegment, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    private Uni<String> post(String path, String json) {
        return send("POST", path, json);
    }

    private Uni<String> send(String method, String path, String json) {
        return send(method, path, json, false);
    }

    /** @param quiet whether a failure is logged at DEBUG rather than WARN (a caller that reports it in its answer) */
    private Uni<String> send(String method, String path, String json, boolean quiet) {
        URI uri = URI.create(config.writerUrl().replaceAll("/+$", "") + path);
        return credentials.authorization().chain(authorization -> {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(config.writerTimeout())
                    .header("Accept", "application/json").header("Authorization", authorization);
            if (json != null) {
                request.header("Content-Type", "application/json");
            }
            request.method(method, json == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json));
            return Uni.createFrom()
                    .completionStage(() -> http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString()))
                    .onFailure().transform(e -> unavailable(uri, e, quiet));
        })
                .map(response -> {
                    if (response.statusCode() / 100 != 2) {
                        LOG.logf(quiet ? Logger.Level.DEBUG : Logger.Level.WARN, "scim-writer answered %d to %s %s",
                                response.statusCode(), method, uri);
                        throw new WriterUnavailableException("the scim-writer answered HTTP " + response.statusCode()
                                + " to " + method + " " + path + ": " + abbreviate(response.body()));
                    }
                    return response.body();
                });
    }

    private static WriterUnavailableException unavailable(URI uri, Throwable e, boolean quiet) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        String why = cause instanceof HttpTimeoutException
                ? "did not answer in time"
                : cause instanceof ConnectException ? "refused the connection" : cause.toString();
        if (!(cause instanceof IOException)) {
            why = cause.getClass().getSimpleName() + ": " + cause.getMessage();
        }
        LOG.logf(quiet ? Logger.Level.DEBUG : Logger.Level.WARN, "scim-writer at %s %s", uri, why);
        return new WriterUnavailableException("the scim-writer at " + uri + " " + why);
    }

    private static String abbreviate(String body) {
        return body == null ? "" : body.length() > 300 ? body.substring(0, 300) + "..." : body;
    }
}
