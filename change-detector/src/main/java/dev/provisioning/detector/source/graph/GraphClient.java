package dev.provisioning.detector.source.graph;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.detector.source.SourceException;
import dev.provisioning.events.Json;

/**
 * Reads Microsoft Graph for one job: authenticated GETs that follow {@code @odata.nextLink}, with Graph's failure rules:
 * 429 and 503/504 honour {@code Retry-After} (else back off exponentially) up to {@link #MAX_ATTEMPTS}; a refused
 * token is renewed once; 410 Gone or {@code syncStateNotFound} means the delta token is no longer known
 * ({@link ResyncRequiredException}); anything else fails the read with a {@link SourceException} naming the request,
 * the tenant and Graph's error. Blocking.
 */
final class GraphClient {

    static final int MAX_ATTEMPTS = 6;
    static final Duration MAX_WAIT = Duration.ofMinutes(2);
    private static final Logger LOG = Logger.getLogger(GraphClient.class);
    private static final Set<String> RESYNC_CODES = Set.of("syncStateNotFound", "syncStateInvalid", "resyncRequired");

    private final HttpClient http;
    private final AccessTokens tokens;
    private final String jobId;
    private final String tenantId;

    GraphClient(HttpClient http, AccessTokens tokens, String jobId, String tenantId) {
        this.http = http;
        this.tokens = tokens;
        this.jobId = jobId;
        this.tenantId = tenantId;
    }

    /**
     * Reads every page from {@code url}, following {@code @odata.nextLink}, handing each page to {@code page}.
     *
     * @return the last page (which holds the {@code @odata.deltaLink} of a delta query)
     */
    JsonNode readAll(String url, Consumer<JsonNode> page) {
        String next = url;
        while (true) {
            JsonNode body = get(next);
            page.accept(body);
            JsonNode link = body.get("@odata.nextLink");
            if (link == null || link.isNull()) {
                return body;
            }
            next = link.asText();
        }
    }

    /** One authenticated GET, with retries; the parsed body of a 200. */
    JsonNode get(String url) {
        return send(url, false).orElseThrow();
    }

    /** Like {@link #get}, but a 404 is an empty result. */
    Optional<JsonNode> find(String url) {
        return send(url, true);
    }

    private Optional<JsonNode> send(String url, boolean notFoundIsEmpty) {
        URI uri = URI.create(url);
        String operation = "GET " + uri.getPath();
        boolean renewed = false;
        String token = tokens.token();
        for (int attempt = 1;; attempt++) {
            HttpResponse<String> response;
            try {
                response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                        .header("Authorization", "Bearer " + token).header("Accept", "application/json").GET()
                        .build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                if (attempt >= MAX_ATTEMPTS) {
                    throw new SourceException(prefix(operation) + " failed after " + attempt + " attempts: " + e, e);
                }
                pause(operation, attempt, backoff(attempt), e.getClass().getSimpleName());
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SourceException(prefix(operation) + " was interrupted", e);
            }
            int status = response.statusCode();
            if (status == 200) {
                return Optional.of(parse(operation, response.body()));
            }
            if (status == 404 && notFoundIsEmpty) {
                return Optional.empty();
            }
            JsonNode error = errorOf(response.body());
            String code = error.path("code").asText("");
            String detail = status + (code.isEmpty() ? "" : " " + code)
                    + (error.hasNonNull("message") ? ": " + error.path("message").asText() : "");
            if (status == 410 || RESYNC_CODES.contains(code)) {
                throw new ResyncRequiredException(prefix(operation) + ": " + detail);
            }
            if (status == 401 && !renewed) {
                // the token expired or was revoked early: one new token, then the refusal is final
                renewed = true;
                token = tokens.renew();
                continue;
            }
            if (status == 429 || status == 503 || status == 504) {
                if (attempt >= MAX_ATTEMPTS) {
                    throw new SourceException(prefix(operation) + " still throttled after " + attempt + " attempts: "
                            + detail);
                }
                Duration wait = response.headers().firstValue("Retry-After").map(GraphClient::seconds)
                        .orElse(backoff(attempt));
                pause(operation, attempt, wait, detail);
                continue;
            }
            if (status >= 500 && attempt < MAX_ATTEMPTS) {
                pause(operation, attempt, backoff(attempt), detail);
                continue;
            }
            throw new SourceException(prefix(operation) + " failed: " + detail);
        }
    }

    private String prefix(String operation) {
        return "Microsoft Graph " + operation + " for tenant " + tenantId;
    }

    private void pause(String operation, int attempt, Duration wait, String why) {
        Duration bounded = wait.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait;
        LOG.infof("retrying %s for job %s (tenant %s): attempt %d/%d in %d ms (%s)", operation, jobId, tenantId,
                attempt + 1, MAX_ATTEMPTS, bounded.toMillis(), why);
        try {
            Thread.sleep(bounded.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SourceException(prefix(operation) + " was interrupted", e);
        }
    }

    private static Duration backoff(int attempt) {
        return Duration.ofMillis(Math.min(30_000L, 500L << Math.min(attempt, 10)));
    }

    /** Retry-After in seconds (Graph never sends an HTTP date); an unreadable value waits a second. */
    private static Duration seconds(String value) {
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value.trim())));
        } catch (NumberFormatException e) {
            return Duration.ofSeconds(1);
        }
    }

    private JsonNode parse(String operation, String body) {
        try {
            return Json.mapper().readTree(body);
        } catch (IOException e) {
            throw new SourceException(prefix(operation) + " answered with a body that is not JSON");
        }
    }

    private static JsonNode errorOf(String body) {
        try {
            JsonNode node = Json.mapper().readTree(body);
            return node == null ? Json.mapper().createObjectNode() : node.path("error");
        } catch (IOException e) {
            return Json.mapper().createObjectNode();
        }
    }
}
