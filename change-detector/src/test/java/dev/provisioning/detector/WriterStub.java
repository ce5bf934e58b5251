package dev.provisioning.detector;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.provisioning.localstack.LocalIssuer;
import dev.provisioning.localstack.LocalStackTestResource;

/**
 * Stands in for the scim-writer's internal API ({@code POST /jobs/{id}/connection-test}, {@code POST /connection-tests},
 * {@code POST /jobs/{id}/operations}, {@code /jobs/{id}/escrows}) on a free port, and points {@code detector.writer-url}
 * at it. Tests set the answer of each path and read the requests the detector sent.
 *
 * <p>
 * It also plays the issuer's token endpoint for the detector's OIDC client {@code writer} (the production path:
 * client credentials, {@code POST /token}), issuing tokens with the role {@code Provisioning.Service} signed by the
 * local stack's issuer; a request to the writer API without one of those tokens is answered 401, as the writer would.
 */
public class WriterStub implements QuarkusTestResourceLifecycleManager {

    /** The detector's client id and secret at the stub's token endpoint. */
    static final String CLIENT_ID = "change-detector";
    static final String CLIENT_SECRET = "writer-client-secret-" + UUID.randomUUID();

    /** A request the detector sent. */
    public record Request(String method, String path, String authorization, String contentType, String body) {
    }

    static final List<Request> REQUESTS = new CopyOnWriteArrayList<>();
    static final Map<String, Function<String, String>> ANSWERS = new ConcurrentHashMap<>();
    /** Every token the token endpoint issued. */
    static final Set<String> ISSUED = ConcurrentHashMap.newKeySet();
    private static HttpServer server;

    @Override
    public synchronized Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.createContext("/token", WriterStub::token);
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = exchange.getRequestURI().getPath();
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            REQUESTS.add(new Request(exchange.getRequestMethod(), path, authorization,
                    exchange.getRequestHeaders().getFirst("Content-Type"), body));
            if (authorization == null || !ISSUED.contains(authorization.replaceFirst("^Bearer ", ""))) {
                answer(exchange, 401, "{\"title\":\"Unauthorized\",\"status\":401}");
                return;
            }
            Function<String, String> answer = ANSWERS.get(path);
            answer(exchange, answer == null ? 500 : 200,
                    answer == null ? "{\"error\":\"no answer set for " + path + "\"}" : answer.apply(body));
        });
        server.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        Map<String, String> config = new HashMap<>();
        config.put("detector.writer-url", base);
        config.put("quarkus.oidc-client.writer.client-enabled", "true");
        config.put("quarkus.oidc-client.writer.auth-server-url", base);
        config.put("quarkus.oidc-client.writer.discovery-enabled", "false");
        config.put("quarkus.oidc-client.writer.token-path", "/token");
        config.put("quarkus.oidc-client.writer.client-id", CLIENT_ID);
        config.put("quarkus.oidc-client.writer.credentials.secret", CLIENT_SECRET);
        config.put("quarkus.oidc-client.writer.scopes", LocalIssuer.AUDIENCE + "/.default");
        return config;
    }

    /** The client credentials grant (RFC 6749 section 4.4), client_secret_basic or client_secret_post. */
    private static void token(HttpExchange exchange) throws IOException {
        Map<String, String> form = form(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        String basic = exchange.getRequestHeaders().getFirst("Authorization");
        String credentials = basic != null && basic.startsWith("Basic ")
                ? new String(Base64.getDecoder().decode(basic.substring(6)), StandardCharsets.UTF_8)
                : form.get("client_id") + ":" + form.get("client_secret");
        if (!"client_credentials".equals(form.get("grant_type"))
                || !credentials.equals(CLIENT_ID + ":" + CLIENT_SECRET)) {
            answer(exchange, 401, "{\"error\":\"invalid_client\"}");
            return;
        }
        String token = LocalStackTestResource.stack().issuer().token(CLIENT_ID, LocalIssuer.SERVICE);
        ISSUED.add(token);
        answer(exchange, 200, "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":3600}");
    }

    private static Map<String, String> form(String body) {
        Map<String, String> form = new HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return form;
    }

    private static void answer(HttpExchange exchange, int status, String json) throws IOException {
        byte[] out = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, out.length);
        try (OutputStream os = exchange.getResponseBody()) {
            os.write(out);
        }
    }

    @Override
    public synchronized void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** The bodies sent to {@code path}. */
    public static List<String> bodies(String path) {
        return REQUESTS.stream().filter(r -> r.path().equals(path)).map(Request::body).toList();
    }

    /** The requests sent to {@code path}. */
    public static List<Request> requests(String path) {
        return REQUESTS.stream().filter(r -> r.path().equals(path)).toList();
    }
}
