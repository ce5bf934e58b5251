package dev.provisioning.detector;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import com.sun.net.httpserver.HttpServer;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Stands in for the scim-writer's synchronous endpoints ({@code POST /connection-tests}, {@code POST
 * /operations/execute}) on a free port, and points {@code detector.writer-url} at it. Tests set the answer of each
 * path and read the request bodies the detector sent.
 */
public class WriterStub implements QuarkusTestResourceLifecycleManager {

    /** A request the detector sent. */
    public record Request(String path, String body) {
    }

    static final List<Request> REQUESTS = new CopyOnWriteArrayList<>();
    static final Map<String, Function<String, String>> ANSWERS = new ConcurrentHashMap<>();
    private static HttpServer server;

    @Override
    public synchronized Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = exchange.getRequestURI().getPath();
            REQUESTS.add(new Request(path, body));
            Function<String, String> answer = ANSWERS.get(path);
            byte[] out = (answer == null ? "{\"error\":\"no answer set for " + path + "\"}" : answer.apply(body))
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(answer == null ? 500 : 200, out.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(out);
            }
        });
        server.start();
        return Map.of("detector.writer-url", "http://127.0.0.1:" + server.getAddress().getPort());
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
}
