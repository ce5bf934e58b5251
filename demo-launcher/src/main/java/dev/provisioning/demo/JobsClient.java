package dev.provisioning.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.events.Json;

/** A small client of the change-detector's jobs API, sending a bearer token with every request. */
public final class JobsClient {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;
    private final String token;

    /**
     * @param baseUrl the change-detector's API
     * @param token an access token for it (its roles decide what this client may do)
     */
    public JobsClient(String baseUrl, String token) {
        this.baseUrl = baseUrl;
        this.token = token;
    }

    /** Creates a job and returns its id. */
    public String create(Map<String, Object> job) {
        JsonNode created = send("POST", "/jobs", Json.write(job), 201);
        return created.get("id").asText();
    }

    /** Replaces a job's configuration ({@code PUT /jobs/{id}}); an absent secret token keeps the current one. */
    public JsonNode update(String jobId, Map<String, Object> job) {
        return send("PUT", "/jobs/" + jobId, Json.write(job), 200);
    }

    /** Every job ({@code GET /jobs}): an array of job documents. */
    public JsonNode list() {
        return send("GET", "/jobs", null, 200);
    }

    /** Turns a job's provisioning off ({@code POST /jobs/{id}/pause}); its running cycle finishes. */
    public JsonNode pause(String jobId) {
        return send("POST", "/jobs/" + jobId + "/pause", null, 200);
    }

    /** Turns a job's provisioning on ({@code POST /jobs/{id}/start}); its next cycle runs now. */
    public JsonNode start(String jobId) {
        return send("POST", "/jobs/" + jobId + "/start", null, 200);
    }

    /** The job's status document ({@code GET /jobs/{id}/status}). */
    public JsonNode status(String jobId) {
        return send("GET", "/jobs/" + jobId + "/status", null, 200);
    }

    /** Provisioning log records of a job, filtered by a query string such as {@code status=Failure}. */
    public JsonNode logs(String jobId, String query) {
        return send("GET", "/jobs/" + jobId + "/logs?" + query, null, 200);
    }

    /** Releases the deletions held by the deletion threshold ({@code POST /jobs/{id}/allow-deletes}). */
    public JsonNode allowDeletes(String jobId) {
        return send("POST", "/jobs/" + jobId + "/allow-deletes", null, 200);
    }

    /** Tests a saved job's connection ({@code POST /jobs/{id}/test-connection}): the writer's answer. */
    public JsonNode testConnection(String jobId) {
        return send("POST", "/jobs/" + jobId + "/test-connection", null, 200);
    }

    /** Tests an unsaved configuration's connection ({@code POST /jobs/test-connection}). */
    public JsonNode testConnection(String tenantUrl, String secretToken) {
        return send("POST", "/jobs/test-connection",
                Json.write(Map.of("tenantUrl", tenantUrl, "secretToken", secretToken)), 200);
    }

    /** Provisions one object now ({@code POST /jobs/{id}/provision-on-demand}): its steps and result. */
    public JsonNode provisionOnDemand(String jobId, String objectId) {
        return send("POST", "/jobs/" + jobId + "/provision-on-demand", Json.write(Map.of("objectId", objectId)), 200);
    }

    /** Restarts a job with Entra's reset scopes ({@code POST /jobs/{id}/restart}). */
    public JsonNode restart(String jobId, List<String> resetScope) {
        return send("POST", "/jobs/" + jobId + "/restart", Json.write(Map.of("resetScope", resetScope)), 200);
    }

    private JsonNode send(String method, String path, String body, int expected) {
        HttpResponse<String> response = exchange(method, path, body);
        if (response.statusCode() != expected) {
            throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": "
                    + response.body());
        }
        try {
            return Json.mapper().readTree(response.body());
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + " answered no JSON: " + e.getMessage(), e);
        }
    }

    /** Any request, with this client's token, answered as it came (for tests of the answers themselves). */
    public HttpResponse<String> exchange(String method, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token)
                .method(method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
