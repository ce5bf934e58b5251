package dev.provisioning.druva;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

/**
 * Unauthenticated inspection for tests in other processes, under {@code /_admin}:
 * <ul>
 * <li>{@code GET /_admin/users}, {@code GET /_admin/groups}, {@code GET /_admin/requests}: JSON arrays of the
 * snapshots ({@link DruvaUser}, {@link DruvaGroup}, {@link RecordedRequest} with an ISO-8601 timestamp);</li>
 * <li>{@code POST /_admin/reset}: 204;</li>
 * <li>{@code GET /_admin/settings} and {@code PUT /_admin/settings}: the settings as JSON; a PUT changes only
 * the fields it names ({@code token}, {@code latencyMs}, {@code latencyMinMs}, {@code latencyMaxMs},
 * {@code rateLimitPerSecond}, {@code serverErrorRatio}, {@code timeoutRatio}, {@code timeoutDelayMs},
 * {@code tokenExpiresAt} as ISO-8601 or null, {@code throttleBurstEveryMs}, {@code throttleBurstLengthMs}) and answers the new settings.</li>
 * </ul>
 * Admin calls are not recorded in the request log and bypass latency, rate limit and faults.
 */
final class AdminHandler implements HttpHandler {

    private final DruvaScimServer server;

    AdminHandler(DruvaScimServer server) {
        this.server = server;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
            String path = exchange.getRequestURI().getPath().substring(DruvaScimServer.ADMIN_PATH.length());
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            try {
                route(exchange, method, path, body);
            } catch (IllegalArgumentException | JsonProcessingException e) {
                send(exchange, 400, error(e.getMessage()));
            }
        }
    }

    private void route(HttpExchange exchange, String method, String path, String body) throws IOException {
        switch (method + " " + path) {
            case "GET /users" -> send(exchange, 200, Json.MAPPER.valueToTree(server.users()));
            case "GET /groups" -> send(exchange, 200, Json.MAPPER.valueToTree(server.groups()));
            case "GET /requests" -> send(exchange, 200, requests());
            case "POST /reset" -> {
                server.reset();
                exchange.sendResponseHeaders(204, -1);
            }
            case "GET /settings" -> send(exchange, 200, settingsJson(server.settings()));
            case "PUT /settings" -> {
                JsonNode changes = Json.MAPPER.readTree(body.isBlank() ? "{}" : body);
                if (!changes.isObject()) {
                    throw new IllegalArgumentException("settings must be a JSON object");
                }
                send(exchange, 200, settingsJson(server.settings(current -> apply(current, changes))));
            }
            default -> send(exchange, 404, error("No admin endpoint " + method + " " + path));
        }
    }

    private JsonNode requests() {
        ArrayNode array = Json.MAPPER.createArrayNode();
        for (RecordedRequest r : server.requests()) {
            array.addObject()
                    .put("method", r.method())
                    .put("path", r.path())
                    .put("query", r.query())
                    .put("body", r.body())
                    .put("status", r.status())
                    .put("timestamp", r.timestamp().toString());
        }
        return array;
    }

    private static DruvaScimServer.Options apply(DruvaScimServer.Options current, JsonNode changes) {
        DruvaScimServer.Options next = current;
        var fields = changes.fields();
        while (fields.hasNext()) {
            var field = fields.next();
            JsonNode v = field.getValue();
            next = switch (field.getKey()) {
                case "token" -> next.token(v.asText());
                case "latencyMs" -> next.latency(Duration.ofMillis(v.asLong()));
                case "latencyMinMs" -> next.latency(Duration.ofMillis(v.asLong()), next.latencyMax());
                case "latencyMaxMs" -> next.latency(next.latencyMin(), Duration.ofMillis(v.asLong()));
                case "rateLimitPerSecond" -> next.rateLimitPerSecond(v.asDouble());
                case "serverErrorRatio" -> next.serverErrorRatio(v.asDouble());
                case "timeoutRatio" -> next.timeoutRatio(v.asDouble());
                case "timeoutDelayMs" -> next.timeoutDelay(Duration.ofMillis(v.asLong()));
                case "tokenExpiresAt" -> next.tokenExpiresAt(v.isNull() ? null : Instant.parse(v.asText()));
                case "throttleBurstEveryMs" -> next.throttleBursts(Duration.ofMillis(v.asLong()),
                        next.throttleBurstLength());
                case "throttleBurstLengthMs" -> next.throttleBursts(next.throttleBurstEvery(),
                        Duration.ofMillis(v.asLong()));
                default -> throw new IllegalArgumentException("Unknown setting '" + field.getKey() + "'");
            };
        }
        return next;
    }

    private static ObjectNode settingsJson(DruvaScimServer.Options s) {
        ObjectNode node = Json.MAPPER.createObjectNode()
                .put("host", s.host())
                .put("port", s.port())
                .put("token", s.token())
                .put("latencyMinMs", s.latencyMin().toMillis())
                .put("latencyMaxMs", s.latencyMax().toMillis())
                .put("rateLimitPerSecond", s.rateLimitPerSecond())
                .put("serverErrorRatio", s.serverErrorRatio())
                .put("timeoutRatio", s.timeoutRatio())
                .put("timeoutDelayMs", s.timeoutDelay().toMillis())
                .put("throttleBurstEveryMs", s.throttleBurstEvery().toMillis())
                .put("throttleBurstLengthMs", s.throttleBurstLength().toMillis());
        return node.put("tokenExpiresAt", s.tokenExpiresAt() == null ? null : s.tokenExpiresAt().toString());
    }

    private static ObjectNode error(String message) {
        return Json.MAPPER.createObjectNode().put("error", message);
    }

    private static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = Json.MAPPER.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
