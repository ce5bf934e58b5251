package dev.provisioning.detector.source.graph;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.source.SourceException;
import dev.provisioning.events.Json;

/**
 * Reads Microsoft Graph for one job: authenticated GETs that follow {@code @odata.nextLink}, with Graph's failure rules
 * (throttling.md, delta-query-overview.md): 429 and 503/504 honour {@code Retry-After} in seconds (else back off
 * exponentially, 1 s doubling to 30 s, each wait at most {@link #MAX_WAIT}) up to {@link #MAX_ATTEMPTS} attempts; other
 * 5xx and I/O errors back off likewise; a refused token is renewed once; 410 Gone or {@code syncStateNotFound} means
 * the delta token is no longer known ({@link ResyncRequiredException}); anything else fails the read with a
 * {@link SourceException} naming the request, the tenant and Graph's error.
 *
 * <p>
 * Non-blocking: requests go out with the JDK client's {@code sendAsync}, and a backoff is a timer
 * ({@code onItem().delayIt()}), not a sleeping thread, so a throttled tenant holds no thread while it waits and never
 * delays another job.
 */
final class GraphClient {

    static final int MAX_ATTEMPTS = 6;
    static final Duration MAX_WAIT = Duration.ofMinutes(2);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
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
     * Reads every page from {@code url}, following {@code @odata.nextLink}, handing each page to {@code page} in
     * order.
     *
     * @return the last page (which holds the {@code @odata.deltaLink} of a delta query)
     */
    Uni<JsonNode> readAll(String url, Consumer<JsonNode> page) {
        return get(url).chain(body -> {
            page.accept(body);
            JsonNode link = body.get("@odata.nextLink");
            return link == null || link.isNull() ? Uni.createFrom().item(body) : readAll(link.asText(), page);
        });
    }

    /** One authenticated GET, with retries; the parsed body of a 200. */
    Uni<JsonNode> get(String url) {
        return send(url, false).map(Optional::orElseThrow);
    }

    /** Like {@link #get}, but a 404 is an empty result. */
    Uni<Optional<JsonNode>> find(String url) {
        return send(url, true);
    }

    private Uni<Optional<JsonNode>> send(String url, boolean notFoundIsEmpty) {
        URI uri = URI.create(url);
        String operation = "GET " + uri.getPath();
        return tokens.token().chain(token -> attempt(uri, operation, token, false, 1, notFoundIsEmpty));
    }

    private Uni<Optional<JsonNode>> attempt(URI uri, String operation, String token, boolean renewed, int attempt,
            boolean notFoundIsEmpty) {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + token).header("Accept", "application/json").GET().build();
        return Uni.createFrom().completionStage(() -> http.sendAsync(request, HttpResponse.BodyHandlers.ofString()))
                .onItemOrFailure().transformToUni((response, failure) -> {
                    if (failure != null) {
                        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                                ? failure.getCause()
                                : failure;
                        if (!(cause instanceof IOException)) {
                            return Uni.createFrom().failure(new SourceException(prefix(operation) + " failed: "
                                    + cause.getClass().getSimpleName(), cause));
                        }
                        if (attempt >= MAX_ATTEMPTS) {
                            return Uni.createFrom().failure(new SourceException(prefix(operation) + " failed after "
                                    + attempt + " attempts: " + cause, cause));
                        }
                        return retry(uri, operation, token, renewed, attempt, notFoundIsEmpty, backoff(attempt),
                                cause.getClass().getSimpleName());
                    }
                    return answer(uri, operation, token, renewed, attempt, notFoundIsEmpty, response);
                });
    }

    private Uni<Optional<JsonNode>> answer(URI uri, String operation, String token, boolean renewed, int attempt,
            boolean notFoundIsEmpty, HttpResponse<String> response) {
        int status = response.statusCode();
        if (status == 200) {
            return Uni.createFrom().item(() -> Optional.of(parse(operation, response.body())));
        }
        if (status == 404 && notFoundIsEmpty) {
            return Uni.createFrom().item(Optional.empty());
        }
        JsonNode error = errorOf(response.body());
        String code = error.path("code").asText("");
        String detail = status + (code.isEmpty() ? "" : " " + code)
                + (error.hasNonNull("message") ? ": " + error.path("message").asText() : "");
        if (status == 410 || RESYNC_CODES.contains(code)) {
            return Uni.createFrom().failure(new ResyncRequiredException(prefix(operation) + ": " + detail));
        }
        if (status == 401 && !renewed) {
            // the token expired or was revoked early: one new token, then the refusal is final
            return tokens.renew().chain(fresh -> attempt(uri, operation, fresh, true, attempt, notFoundIsEmpty));
        }
        if (status == 429 || status == 503 || status == 504) {
            if (attempt >= MAX_ATTEMPTS) {
                return Uni.createFrom().failure(new SourceException(prefix(operation) + " still throttled after "
                        + attempt + " attempts: " + detail));
            }
            Duration wait = response.headers().firstValue("Retry-After").map(GraphClient::seconds)
                    .orElse(backoff(attempt));
            return retry(uri, operation, token, renewed, attempt, notFoundIsEmpty, wait, detail);
        }
        if (status >= 500 && attempt < MAX_ATTEMPTS) {
            return retry(uri, operation, token, renewed, attempt, notFoundIsEmpty, backoff(attempt), detail);
        }
        return Uni.createFrom().failure(new SourceException(prefix(operation) + " failed: " + detail));
    }

    /** The next attempt after {@code wait}: a timer, no thread waits. */
    private Uni<Optional<JsonNode>> retry(URI uri, String operation, String token, boolean renewed, int attempt,
            boolean notFoundIsEmpty, Duration wait, String why) {
        Duration bounded = wait.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait;
        LOG.infof("retrying %s for job %s (tenant %s): attempt %d/%d in %d ms (%s)", operation, jobId, tenantId,
                attempt + 1, MAX_ATTEMPTS, bounded.toMillis(), why);
        if (bounded.isZero() || bounded.isNegative()) {
            // Retry-After: 0 means at once
            return attempt(uri, operation, token, renewed, attempt + 1, notFoundIsEmpty);
        }
        return Uni.createFrom().voidItem().onItem().delayIt().by(bounded)
                .chain(() -> attempt(uri, operation, token, renewed, attempt + 1, notFoundIsEmpty));
    }

    private String prefix(String operation) {
        return "Microsoft Graph " + operation + " for tenant " + tenantId;
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
