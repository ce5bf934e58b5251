package dev.provisioning.druva;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

/**
 * Serves {@code /insync/scim}. Every request goes through the same pipeline, in this order: record it, check
 * the bearer token (401), inject a queued one-shot fault ({@link DruvaScimServer#failNext}) or a burst of 429,
 * park while the server is held ({@link DruvaScimServer#hold()}), take a rate-limit token (429 with
 * {@code Retry-After}), wait the configured latency, inject a timeout (504 after {@code timeoutDelay}) or a server
 * error (500/503), then route to the {@link Directory}. Only the last step changes state.
 */
final class ScimHandler implements HttpHandler {

    static final String SCIM_JSON = "application/scim+json";
    static final String ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

    private final DruvaScimServer server;
    private final Directory directory;
    private final RequestLog log;

    ScimHandler(DruvaScimServer server, Directory directory, RequestLog log) {
        this.server = server;
        this.directory = directory;
        this.log = log;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
            RequestLog.Entry entry = log.begin(method, exchange.getRequestURI().getRawPath(),
                    decodedQuery(exchange.getRequestURI().getRawQuery()), body);
            Response response;
            try {
                response = process(exchange, method, body);
            } catch (ScimException e) {
                response = Response.error(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                response = Response.error(new ScimException(503, null, "The server is shutting down"));
            } catch (RuntimeException e) {
                response = Response.error(new ScimException(500, null, "Unexpected error: " + e));
            }
            entry.complete(response.status());
            response.send(exchange);
        } catch (IOException e) {
            // the client went away (typically it timed out first): nothing left to answer
        }
    }

    private Response process(HttpExchange exchange, String method, String body) throws InterruptedException {
        DruvaScimServer.Options settings = server.settings();
        authenticate(exchange.getRequestHeaders().getFirst("Authorization"), settings);
        DruvaScimServer.InjectedFault fault = server.takeFault();
        if (fault != null) {
            throw new ScimException(fault.status(), null, "HTTP " + fault.status() + " (injected once)",
                    Math.max(0, fault.retryAfterSeconds()));
        }
        if (server.inThrottleBurst()) {
            throw new ScimException(429, null, "Too many requests (injected burst)", 1);
        }
        server.awaitRelease();
        settings = server.settings();
        long retryAfter = server.bucket().tryAcquire();
        if (retryAfter > 0) {
            throw new ScimException(429, null, "Too many requests: the limit is " + settings.rateLimitPerSecond()
                    + " per second", retryAfter);
        }
        sleep(latency(settings));
        ThreadLocalRandom random = ThreadLocalRandom.current();
        if (settings.timeoutRatio() > 0 && random.nextDouble() < settings.timeoutRatio()) {
            sleep(settings.timeoutDelay());
            throw new ScimException(504, null, "Gateway timeout (injected)");
        }
        if (settings.serverErrorRatio() > 0 && random.nextDouble() < settings.serverErrorRatio()) {
            throw random.nextBoolean()
                    ? new ScimException(500, null, "Internal server error (injected)")
                    : new ScimException(503, null, "Service unavailable (injected)", 1);
        }
        return route(method, exchange, body);
    }

    private static void authenticate(String authorization, DruvaScimServer.Options settings) {
        String expected = "Bearer " + settings.token();
        if (authorization == null || !authorization.trim().equals(expected)) {
            throw new ScimException(401, null, "Missing or invalid bearer token");
        }
        if (settings.tokenExpiresAt() != null && !Instant.now().isBefore(settings.tokenExpiresAt())) {
            throw new ScimException(401, null, "The bearer token expired at " + settings.tokenExpiresAt());
        }
    }

    private Response route(String method, HttpExchange exchange, String body) {
        String path = exchange.getRequestURI().getPath().substring(DruvaScimServer.BASE_PATH.length());
        if (path.endsWith("/") && path.length() > 1) {
            path = path.substring(0, path.length() - 1);
        }
        Map<String, String> query = queryParameters(exchange.getRequestURI().getRawQuery());
        String[] segments = path.split("/", -1);
        // segments[0] is "" (the path starts with '/'), or the path is not under the base path at all
        if (segments.length < 2 || !segments[0].isEmpty()) {
            throw ScimException.notFound("No SCIM resource at " + exchange.getRequestURI().getPath());
        }
        String resource = segments[1];
        String id = segments.length > 2 ? segments[2] : null;
        if (segments.length > 3) {
            throw ScimException.notFound("No SCIM resource at " + exchange.getRequestURI().getPath());
        }
        switch (resource) {
            case "ServiceProviderConfig" :
                if (id == null && method.equals("GET")) {
                    return Response.json(200, serviceProviderConfig());
                }
                break;
            case "Users" :
                if (id == null) {
                    if (method.equals("GET")) {
                        return Response.json(200, directory.listUsers(query.get("filter"), startIndex(query),
                                count(query)));
                    }
                    if (method.equals("POST")) {
                        ObjectNode created = directory.createUser(parse(body));
                        return Response.json(201, created).header("Location",
                                created.path("meta").path("location").asText());
                    }
                } else {
                    switch (method) {
                        case "GET" :
                            return Response.json(200, directory.getUser(id));
                        case "PATCH" :
                            return Response.json(200, directory.patchUser(id, parse(body)));
                        case "DELETE" :
                            directory.deleteUser(id);
                            return Response.noContent();
                        default :
                            break;
                    }
                }
                break;
            case "Groups" :
                boolean withMembers = !excludes(query, "members");
                if (id == null) {
                    if (method.equals("GET")) {
                        return Response.json(200, directory.listGroups(query.get("filter"), startIndex(query),
                                count(query), withMembers));
                    }
                    if (method.equals("POST")) {
                        ObjectNode created = directory.createGroup(parse(body));
                        return Response.json(201, created).header("Location",
                                created.path("meta").path("location").asText());
                    }
                } else {
                    switch (method) {
                        case "GET" :
                            return Response.json(200, directory.getGroup(id, withMembers));
                        case "PATCH" :
                            directory.patchGroup(id, parse(body));
                            return Response.noContent();
                        case "DELETE" :
                            directory.deleteGroup(id);
                            return Response.noContent();
                        default :
                            break;
                    }
                }
                break;
            default :
                throw ScimException.notFound("No SCIM resource at " + exchange.getRequestURI().getPath());
        }
        throw new ScimException(405, null, method + " is not supported on " + exchange.getRequestURI().getPath());
    }

    private static JsonNode parse(String body) {
        if (body.isBlank()) {
            throw ScimException.invalidSyntax("The request body is empty");
        }
        try {
            return Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ScimException.invalidSyntax("The request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static int startIndex(Map<String, String> query) {
        return intParameter(query, "startIndex", 1);
    }

    private static int count(Map<String, String> query) {
        return intParameter(query, "count", Directory.DEFAULT_COUNT);
    }

    private static int intParameter(Map<String, String> query, String name, int defaultValue) {
        String value = query.get(name);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw ScimException.invalidValue(name + " must be an integer, got '" + value + "'");
        }
    }

    private static boolean excludes(Map<String, String> query, String attribute) {
        String excluded = query.get("excludedAttributes");
        if (excluded == null) {
            return false;
        }
        for (String name : excluded.split(",")) {
            if (name.trim().equalsIgnoreCase(attribute)) {
                return true;
            }
        }
        return false;
    }

    /** The query with each name and value form-decoded ({@code %22} and {@code +} too), for the log. */
    private static String decodedQuery(String rawQuery) {
        if (rawQuery == null) {
            return null;
        }
        StringJoiner decoded = new StringJoiner("&");
        for (String pair : rawQuery.split("&", -1)) {
            int eq = pair.indexOf('=');
            decoded.add(eq < 0 ? decode(pair) : decode(pair.substring(0, eq)) + "=" + decode(pair.substring(eq + 1)));
        }
        return decoded.toString();
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return text;
        }
    }

    private static Map<String, String> queryParameters(String rawQuery) {
        Map<String, String> parameters = new HashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return parameters;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                parameters.putIfAbsent(URLDecoder.decode(name, StandardCharsets.UTF_8),
                        URLDecoder.decode(value, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw ScimException.invalidSyntax("Malformed query parameter: " + pair);
            }
        }
        return parameters;
    }

    private static Duration latency(DruvaScimServer.Options settings) {
        long min = settings.latencyMin().toNanos();
        long max = settings.latencyMax().toNanos();
        return Duration.ofNanos(max > min ? ThreadLocalRandom.current().nextLong(min, max + 1) : min);
    }

    private static void sleep(Duration duration) throws InterruptedException {
        if (!duration.isZero()) {
            Thread.sleep(duration.toMillis(), duration.toNanosPart() % 1_000_000);
        }
    }

    private static ObjectNode serviceProviderConfig() {
        ObjectNode config = Json.MAPPER.createObjectNode();
        config.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig");
        config.put("documentationUri", "https://help.druva.com/");
        config.putObject("patch").put("supported", true);
        config.putObject("bulk").put("supported", false).put("maxOperations", 0).put("maxPayloadSize", 0);
        config.putObject("filter").put("supported", true).put("maxResults", Directory.MAX_COUNT);
        config.putObject("changePassword").put("supported", false);
        config.putObject("sort").put("supported", false);
        config.putObject("etag").put("supported", false);
        config.putArray("authenticationSchemes").addObject()
                .put("type", "oauthbearertoken")
                .put("name", "OAuth Bearer Token")
                .put("description", "Authentication with the Druva inSync auth token")
                .put("primary", true);
        config.putObject("meta").put("resourceType", "ServiceProviderConfig");
        return config;
    }

    /** An HTTP answer: status, optional JSON body, extra headers. */
    record Response(int status, JsonNode body, Map<String, String> headers) {

        static Response json(int status, JsonNode body) {
            return new Response(status, body, new HashMap<>());
        }

        static Response noContent() {
            return new Response(204, null, new HashMap<>());
        }

        static Response error(ScimException e) {
            ObjectNode body = Json.MAPPER.createObjectNode();
            body.putArray("schemas").add(ERROR_SCHEMA);
            body.put("status", Integer.toString(e.status()));
            if (e.scimType() != null) {
                body.put("scimType", e.scimType());
            }
            body.put("detail", e.getMessage());
            Response response = json(e.status(), body);
            if (e.retryAfterSeconds() > 0) {
                response.header("Retry-After", Long.toString(e.retryAfterSeconds()));
            }
            if (e.status() == 401) {
                response.header("WWW-Authenticate", "Bearer");
            }
            return response;
        }

        Response header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        void send(HttpExchange exchange) throws IOException {
            headers.forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
            if (body == null) {
                exchange.sendResponseHeaders(status, -1);
                return;
            }
            byte[] bytes = Json.MAPPER.writeValueAsBytes(body);
            exchange.getResponseHeaders().set("Content-Type", SCIM_JSON);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
