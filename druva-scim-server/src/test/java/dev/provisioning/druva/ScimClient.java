package dev.provisioning.druva;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** A minimal SCIM client for the tests: what an HTTP client sees, nothing more. */
final class ScimClient {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Waits.OUTCOME).build();

    private final String baseUrl;
    private final String token;

    ScimClient(String baseUrl, String token) {
        this.baseUrl = baseUrl;
        this.token = token;
    }

    /** An answer: status, parsed body (null when empty), headers. */
    record Answer(int status, JsonNode body, HttpResponse<String> raw) {
        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    Answer get(String path) {
        return send("GET", path, null);
    }

    Answer post(String path, String body) {
        return send("POST", path, body);
    }

    Answer patch(String path, String body) {
        return send("PATCH", path, body);
    }

    Answer delete(String path) {
        return send("DELETE", path, null);
    }

    Answer filterUsers(String filter) {
        return get("/Users?filter=" + URLEncoder.encode(filter, StandardCharsets.UTF_8));
    }

    Answer createUser(String userName, String email) {
        return post("/Users", entraUser(userName, email));
    }

    String createUserId(String userName) {
        Answer answer = createUser(userName, userName);
        if (answer.status() != 201) {
            throw new AssertionError("create failed: " + answer.raw().body());
        }
        return answer.body().get("id").asText();
    }

    /** The body Entra sends on create; {@code email} null leaves the emails out. */
    static String entraUser(String userName, String email) {
        String emails = email == null
                ? ""
                : "\"emails\":[{\"primary\":true,\"type\":\"work\",\"value\":\"" + email + "\"}],";
        return "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
                + "\"externalId\":\"" + userName.replaceAll("@.*", "") + "\","
                + "\"userName\":\"" + userName + "\",\"active\":true," + emails
                + "\"name\":{\"givenName\":\"Ada\",\"familyName\":\"Lovelace\",\"formatted\":\"Ada Lovelace\"},"
                + "\"displayName\":\"Ada Lovelace\"}";
    }

    static String patchOp(String... operations) {
        return "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":["
                + String.join(",", operations) + "]}";
    }

    Answer send(String method, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(Waits.OUTCOME)
                .method(method, body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            request.header("Content-Type", "application/scim+json");
        }
        try {
            HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = response.body().isEmpty() ? null : JSON.readTree(response.body());
            return new Answer(response.statusCode(), json, response);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
