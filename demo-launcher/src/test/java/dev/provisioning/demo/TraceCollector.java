package dev.provisioning.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;

/**
 * An OTLP/HTTP trace receiver in the test JVM, the end-to-end tests' in-memory exporter: the packaged services export
 * their spans to it ({@code QUARKUS_OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/protobuf}), it keeps each span's ids, kind, name,
 * service and attributes by trace id. Request and answer are OTLP's protobuf messages
 * ({@code POST /v1/traces}, {@code ExportTraceServiceRequest} in, {@code ExportTraceServiceResponse} out; OTLP
 * specification, "OTLP/HTTP"). It keeps at most {@value #MAX_SPANS} spans (the shared system runs every end-to-end
 * class with tracing on) and counts the rest as dropped.
 */
final class TraceCollector implements AutoCloseable {

    static final int MAX_SPANS = 200_000;
    private static final HexFormat HEX = HexFormat.of();

    /**
     * One span as exported.
     *
     * @param traceId 32 lower-case hex digits
     * @param spanId 16 lower-case hex digits
     * @param parentSpanId 16 hex digits, empty for a trace's root
     * @param kind OTLP's kind without its prefix: {@code PRODUCER}, {@code CONSUMER}, {@code CLIENT}, {@code SERVER},
     *        {@code INTERNAL}
     * @param service the exporting service's {@code service.name}
     * @param attributes the span's attributes, each value as text
     */
    record Span(String traceId, String spanId, String parentSpanId, String kind, String name, String service,
            Map<String, String> attributes) {

        @Override
        public String toString() {
            return service + " " + kind + " '" + name + "' " + spanId + " <- " + (parentSpanId.isEmpty()
                    ? "(root)"
                    : parentSpanId) + " " + attributes;
        }
    }

    private final HttpServer server;
    private final Map<String, List<Span>> byTrace = new ConcurrentHashMap<>();
    private final AtomicLong kept = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    private TraceCollector(HttpServer server) {
        this.server = server;
    }

    /** Listens on a free loopback port. */
    static TraceCollector start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(ServiceProcess.HOST, 0), 0);
            TraceCollector collector = new TraceCollector(server);
            server.createContext("/", collector::handle);
            server.setExecutor(Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "trace-collector");
                t.setDaemon(true);
                return t;
            }));
            server.start();
            return collector;
        } catch (IOException e) {
            throw new IllegalStateException("the trace collector cannot listen", e);
        }
    }

    /** The base URL the services export to ({@code /v1/traces} is appended by their exporter). */
    String endpoint() {
        return "http://" + ServiceProcess.HOST + ":" + server.getAddress().getPort();
    }

    /** The environment that turns tracing on in a service and exports its spans here, every second. */
    Map<String, String> serviceEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("QUARKUS_OTEL_SDK_DISABLED", "false");
        env.put("QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint());
        env.put("QUARKUS_OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf");
        env.put("QUARKUS_OTEL_BSP_SCHEDULE_DELAY", "1s");
        return env;
    }

    /** The spans of one trace received so far. */
    List<Span> trace(String traceId) {
        return List.copyOf(byTrace.getOrDefault(traceId, List.of()));
    }

    /**
     * Forgets every span received so far: a test that looks for one trace starts with room for it (the shared system
     * has been exporting the spans of every earlier end-to-end class, enough to fill {@value #MAX_SPANS}).
     */
    void clear() {
        byTrace.clear();
        kept.set(0);
        dropped.set(0);
    }

    long dropped() {
        return dropped.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("POST") || !exchange.getRequestURI().getPath().endsWith(
                    "/v1/traces")) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            ExportTraceServiceRequest request;
            try (InputStream in = exchange.getRequestBody()) {
                request = ExportTraceServiceRequest.parseFrom(in);
            } catch (IOException e) {
                exchange.sendResponseHeaders(400, -1);
                return;
            }
            request.getResourceSpansList().forEach(this::keep);
            byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
            if (answer.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer);
                }
            }
        }
    }

    private void keep(ResourceSpans resourceSpans) {
        String service = text(resourceSpans.getResource().getAttributesList()).getOrDefault("service.name", "");
        for (ScopeSpans scope : resourceSpans.getScopeSpansList()) {
            for (io.opentelemetry.proto.trace.v1.Span s : scope.getSpansList()) {
                if (kept.incrementAndGet() > MAX_SPANS) {
                    dropped.incrementAndGet();
                    continue;
                }
                Span span = new Span(HEX.formatHex(s.getTraceId().toByteArray()),
                        HEX.formatHex(s.getSpanId().toByteArray()), HEX.formatHex(s.getParentSpanId().toByteArray()),
                        s.getKind().name().replace("SPAN_KIND_", ""), s.getName(), service,
                        text(s.getAttributesList()));
                byTrace.computeIfAbsent(span.traceId(), k -> new CopyOnWriteArrayList<>()).add(span);
            }
        }
    }

    private static Map<String, String> text(List<KeyValue> attributes) {
        Map<String, String> text = new LinkedHashMap<>();
        for (KeyValue kv : attributes) {
            AnyValue v = kv.getValue();
            text.put(kv.getKey(), switch (v.getValueCase()) {
                case STRING_VALUE -> v.getStringValue();
                case INT_VALUE -> String.valueOf(v.getIntValue());
                case BOOL_VALUE -> String.valueOf(v.getBoolValue());
                case DOUBLE_VALUE -> String.valueOf(v.getDoubleValue());
                default -> v.toString().trim();
            });
        }
        return text;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
