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
import dev.provisioning.events.job.EncryptedSecret;
import dev.provisioning.events.job.JobConfig;

/**
 * The scim-writer's synchronous endpoints ({@code detector.writer-url}): test connection and provision on demand. The
 * writer alone talks to Druva; the token travels encrypted ({@link EncryptedSecret}) and only the writer decrypts it.
 */
@ApplicationScoped
public class WriterClient {

    private static final Logger LOG = Logger.getLogger(WriterClient.class);

    private final HttpClient http;
    private final DetectorConfig config;

    public WriterClient(DetectorConfig config) {
        this.config = config;
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

    /** The body of {@code POST /connection-tests}. */
    record ConnectionTestRequest(String tenantUrl, EncryptedSecret secretToken) {
    }

    /** The body of {@code POST /operations/execute}. */
    record ExecuteRequest(JobConfig job, ScimOperation operation) {
    }

    /** Asks the writer to test the connection: Entra's {@code GET /Users?filter=userName eq "<random>"}. */
    public Uni<ConnectionTestResult> testConnection(String tenantUrl, EncryptedSecret token) {
        return post("/connection-tests", Json.write(new ConnectionTestRequest(tenantUrl, token)))
                .map(body -> Json.read(body, ConnectionTestResult.class));
    }

    /** Asks the writer to execute one operation now (provision on demand) and returns its result. */
    public Uni<ProvisioningResult> execute(JobConfig job, ScimOperation operation) {
        return post("/operations/execute", Json.write(new ExecuteRequest(job, operation)))
                .map(EventChecks::result);
    }

    /** The writer's count of a job's escrowed objects. */
    public record EscrowCount(String jobId, long escrowed, long discarded) {
    }

    /** How many of the job's objects wait in the writer's escrow. */
    public Uni<EscrowCount> escrowed(String jobId) {
        return send("GET", "/jobs/" + jobId + "/escrows", null).map(body -> Json.read(body, EscrowCount.class));
    }

    /** Discards the job's escrows (restart with reset scope Escrows). */
    public Uni<EscrowCount> discardEscrows(String jobId) {
        return send("DELETE", "/jobs/" + jobId + "/escrows", null).map(body -> Json.read(body, EscrowCount.class));
    }

    private Uni<String> post(String path, String json) {
        return send("POST", path, json);
    }

    private Uni<String> send(String method, String path, String json) {
        URI uri = URI.create(config.writerUrl().replaceAll("/+$", "") + path);
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(config.writerTimeout())
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .method(method, json == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json))
                .build();
        return Uni.createFrom().completionStage(() -> http.sendAsync(request, HttpResponse.BodyHandlers.ofString()))
                .onFailure().transform(e -> unavailable(uri, e))
                .map(response -> {
                    if (response.statusCode() / 100 != 2) {
                        LOG.warnf("scim-writer answered %d to %s %s", response.statusCode(), method, uri);
                        throw new WriterUnavailableException("the scim-writer answered HTTP " + response.statusCode()
                                + " to " + method + " " + path + ": " + abbreviate(response.body()));
                    }
                    return response.body();
                });
    }

    private static WriterUnavailableException unavailable(URI uri, Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        String why = cause instanceof HttpTimeoutException
                ? "did not answer in time"
                : cause instanceof ConnectException ? "refused the connection" : cause.toString();
        if (!(cause instanceof IOException)) {
            why = cause.getClass().getSimpleName() + ": " + cause.getMessage();
        }
        LOG.warnf("scim-writer at %s %s", uri, why);
        return new WriterUnavailableException("the scim-writer at " + uri + " " + why);
    }

    private static String abbreviate(String body) {
        return body == null ? "" : body.length() > 300 ? body.substring(0, 300) + "..." : body;
    }
}
