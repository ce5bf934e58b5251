package dev.provisioning.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.events.Json;

/** A small client of the change-detector's jobs API. */
public final class JobsClient {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;

    public JobsClient(String baseUrl) {
        this.baseUrl = baseUrl;
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

    private JsonNode send(String method, String path, String body, int expected) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .method(method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != expected) {
                throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": "
                        + response.body());
            }
            return Json.mapper().readTree(response.body());
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
