package dev.provisioning.writer.it;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.provisioning.events.Json;

/**
 * A minimal Druva-like SCIM target for the scim-writer's tests, on the JDK's HTTP server: users only, filter
 * {@code attr eq "value"}, 409 {@code uniqueness} on a duplicate userName, 400 without an email, PATCH answered with
 * 200 and the resource. Its API mirrors the shared {@code dev.provisioning.druva.DruvaScimServer} (baseUrl, users,
 * requests, reset, close) so the tests can switch to it by changing the start call only.
 */
final class FakeScimTarget implements AutoCloseable {

    /** A user as the target holds it. */
    record User(String id, String userName, String externalId, String displayName, String givenName,
            String familyName, String email, boolean active) {
    }

    /** A request the target received; the path is relative to the base URL and the query decoded. */
    record Request(String method, String path, String query, String body, int status) {
    }

    private static final Pattern FILTER = Pattern.compile("^(\\S+) eq \"((?:[^\"\\\\]|\\\\.)*)\"$");

    private final HttpServer server;
    private final String token;
    private final Map<String, ObjectNode> users = new LinkedHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Deque<int[]> faults = new ArrayDeque<>();

    private FakeScimTarget(String token) throws IOException {
        this.token = token;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/scim", this::handle);
        server.start();
    }

    static FakeScimTarget start(String token) {
        try {
            return new FakeScimTarget(token);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/scim";
    }

    synchronized List<User> users() {
        return users.values().stream().map(FakeScimTarget::toUser).toList();
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    synchronized void reset() {
        users.clear();
        requests.clear();
        faults.clear();
    }

    /** The next request is answered with {@code status} (and a {@code Retry-After} of that many seconds if >= 0). */
    synchronized void failNext(int status, int retryAfterSeconds) {
        faults.add(new int[]{status, retryAfterSeconds});
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private synchronized void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath().substring("/scim".length());
        String rawQuery = exchange.getRequestURI().getRawQuery();
        String query = rawQuery == null ? null : URLDecoder.decode(rawQuery, StandardCharsets.UTF_8);
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        int[] fault = faults.poll();
        Answer answer;
        if (!("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            answer = error(401, null, "invalid token");
        } else if (fault != null) {
            answer = error(fault[0], null, "injected fault");
            if (fault[1] >= 0) {
                exchange.getResponseHeaders().add("Retry-After", String.valueOf(fault[1]));
            }
        } else {
            answer = route(method, path, query, body);
        }
        requests.add(new Request(method, path, query, body.isEmpty() ? null : body, answer.status));
        byte[] bytes = answer.body == null ? new byte[0] : Json.write(answer.body).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/scim+json");
        exchange.sendResponseHeaders(answer.status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private record Answer(int status, JsonNode body) {
    }

    private Answer route(String method, String path, String query, String body) {
        String id = path.startsWith("/Users/") ? path.substring("/Users/".length()) : null;
        if (method.equals("GET") && path.equals("/Users")) {
            return list(query);
        }
        if (method.equals("POST") && path.equals("/Users")) {
            return create(read(body));
        }
        if (id == null || !users.containsKey(id)) {
            return error(404, null, "user not found");
        }
        return switch (method) {
            case "GET" -> new Answer(200, users.get(id));
            case "PATCH" -> patch(users.get(id), read(body));
            case "DELETE" -> {
                users.remove(id);
                yield new Answer(204, null);
            }
            default -> error(405, null, "method not allowed");
        };
    }

    private Answer list(String query) {
        List<ObjectNode> found = new ArrayList<>();
        if (query != null && query.startsWith("filter=")) {
            Matcher m = FILTER.matcher(query.substring("filter=".length()));
            if (!m.matches()) {
                return error(400, "invalidFilter", "unsupported filter");
            }
            String attribute = m.group(1);
            String value = m.group(2).replace("\\\"", "\"").replace("\\\\", "\\");
            for (ObjectNode user : users.values()) {
                User u = toUser(user);
                String actual = switch (attribute) {
                    case "userName" -> u.userName();
                    case "externalId" -> u.externalId();
                    case "emails.value", "emails[type eq \"work\"].value" -> u.email();
                    default -> null;
                };
                if (actual != null && actual.equalsIgnoreCase(value)) {
                    found.add(user);
                }
            }
        } else {
            found.addAll(users.values());
        }
        ObjectNode list = Json.mapper().createObjectNode();
        list.putArray("schemas").add("urn:ietf:params:scim:api:messages:2.0:ListResponse");
        list.put("totalResults", found.size());
        list.put("startIndex", 1);
        list.put("itemsPerPage", found.size());
        ArrayNode resources = list.putArray("Resources");
        found.forEach(resources::add);
        return new Answer(200, list);
    }

    private Answer create(ObjectNode user) {
        String userName = user.path("userName").asText(null);
        String email = user.path("emails").path(0).path("value").asText(null);
        if (email == null || userName == null) {
            return error(400, "invalidValue", "email is mandatory");
        }
        boolean duplicate = users.values().stream()
                .anyMatch(u -> u.path("userName").asText().equalsIgnoreCase(userName));
        if (duplicate) {
            return error(409, "uniqueness", "userName already exists");
        }
        String id = UUID.randomUUID().toString();
        user.put("id", id);
        users.put(id, user);
        return new Answer(201, user);
    }

    private Answer patch(ObjectNode user, ObjectNode patch) {
        for (JsonNode op : patch.path("Operations")) {
            if (!op.path("op").asText().equalsIgnoreCase("replace")) {
                return error(400, "invalidSyntax", "only replace is supported");
            }
            JsonNode value = op.path("value");
            switch (op.path("path").asText()) {
                case "active" -> user.put("active", value.isBoolean()
                        ? value.booleanValue()
                        : value.asText().equalsIgnoreCase("true"));
                case "displayName" -> user.put("displayName", value.asText());
                case "name.givenName" -> user.with("name").put("givenName", value.asText());
                case "name.familyName" -> user.with("name").put("familyName", value.asText());
                case "emails[type eq \"work\"].value" -> {
                    ArrayNode emails = user.putArray("emails");
                    emails.addObject().put("primary", true).put("type", "work").put("value", value.asText());
                }
                default -> {
                    return error(400, "mutability", "attribute cannot be updated: " + op.path("path").asText());
                }
            }
        }
        return new Answer(200, user);
    }

    private static Answer error(int status, String scimType, String detail) {
        ObjectNode error = Json.mapper().createObjectNode();
        error.putArray("schemas").add("urn:ietf:params:scim:api:messages:2.0:Error");
        error.put("status", String.valueOf(status));
        if (scimType != null) {
            error.put("scimType", scimType);
        }
        error.put("detail", detail);
        return new Answer(status, error);
    }

    private static ObjectNode read(String body) {
        try {
            return (ObjectNode) Json.mapper().readTree(body);
        } catch (Exception e) {
            return Json.mapper().createObjectNode();
        }
    }

    private static User toUser(JsonNode u) {
        return new User(u.path("id").asText(null), u.path("userName").asText(null), u.path("externalId").asText(null),
                u.path("displayName").asText(null), u.path("name").path("givenName").asText(null),
                u.path("name").path("familyName").asText(null), u.path("emails").path(0).path("value").asText(null),
                u.path("active").asBoolean(true));
    }
}
