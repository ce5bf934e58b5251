package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.provisioning.events.Topics;
import dev.provisioning.localstack.TopicClient;
import dev.provisioning.telemetry.TraceParent;

/**
 * Issue 16 item 3 end to end: with tracing on, one object's change is one trace across the packaged services. The
 * change-detector's send of the object's assignment event is the trace's root (a producer span); the mapper-service
 * consumes that record in a child span and sends the SCIM operation from it; the scim-writer consumes the operation in a
 * child of the mapper's producer span, makes the Druva request (an HTTP client span to the Druva-compatible server)
 * and sends the result in the same trace. The spans are exported over OTLP to the {@link TraceCollector} in this JVM,
 * the context travels in the Kafka records' {@code traceparent} headers only.
 */
@ExtendWith(SharedLocalSystem.class)
class TracingEndToEndIT {

    static LocalSystem system;
    static TraceCollector traces;
    static String jobId;
    static String prefix;

    @BeforeAll
    static void provisionOneUser(LocalSystem shared, TraceCollector collector) throws Exception {
        system = shared;
        traces = collector;
        traces.clear();
        prefix = "traced-" + UUID.randomUUID().toString().substring(0, 8);
        Path directory = SharedLocalSystem.work("it/" + prefix + ".json");
        Files.createDirectories(directory.getParent());
        Files.writeString(directory, GeneratedDirectory.users(prefix, 1, 1));

        Map<String, Object> job = new HashMap<>();
        job.put("name", "Druva (tracing)");
        job.put("tenantUrl", system.druva().baseUrl());
        job.put("secretToken", system.druvaToken());
        job.put("notificationEmail", "admin@contoso.example");
        job.put("provisioningStatus", "On");
        job.put("cycleInterval", "PT1H");
        job.put("source", Map.of("type", "DIRECTORY_FILE", "directoryFile", directory.toString()));
        jobId = system.jobs().create(job);

        await("the user in Druva").atMost(Waits.CYCLE).pollInterval(Duration.ofMillis(500))
                .until(() -> system.druva().users().stream()
                        .anyMatch(u -> u.userName().equals("user0@" + prefix + ".example")));
    }

    @Test
    void oneObjectsTraceSpansTheDetectorTheMapperTheWriterAndTheDruvaRequest() {
        TraceParent sent;
        try (TopicClient kafka = new TopicClient(system.stack().kafka().bootstrapServers())) {
            List<ConsumerRecord<String, String>> events = kafka.read(Topics.ASSIGNMENTS,
                    r -> r.key() != null && r.key().startsWith(jobId + "/"), 1, Waits.OUTCOME);
            assertThat(events).as("the user's assignment event").hasSize(1);
            sent = TraceParent.of(events.get(0).headers()).orElseThrow(
                    () -> new AssertionError("no traceparent on the assignment event " + events.get(0).key()));
        }

        await("the object's trace at the collector").atMost(Waits.OUTCOME).pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    List<TraceCollector.Span> trace = traces.trace(sent.traceId());
                    String all = "the trace " + sent.traceId() + ":\n  " + String.join("\n  ",
                            trace.stream().map(TraceCollector.Span::toString).toList()) + "\n(dropped spans: "
                            + traces.dropped() + ")";

                    TraceCollector.Span detector = one(trace, s -> s.spanId().equals(sent.spanId()), all,
                            "the change-detector's send, named by the event's traceparent");
                    assertThat(detector.service()).as(all).isEqualTo("change-detector");
                    assertThat(detector.kind()).as(all).isEqualTo("PRODUCER");
                    assertThat(detector.parentSpanId()).as("the root of the object's trace; " + all).isEmpty();

                    TraceCollector.Span mapperIn = one(trace, s -> s.service().equals("mapper-service")
                            && s.kind().equals("CONSUMER") && s.parentSpanId().equals(detector.spanId()), all,
                            "the mapper's consumer span, child of the detector's send");
                    TraceCollector.Span mapperOut = one(trace, s -> s.service().equals("mapper-service")
                            && s.kind().equals("PRODUCER") && s.parentSpanId().equals(mapperIn.spanId()), all,
                            "the mapper's send of the operation, child of its consumer span");
                    TraceCollector.Span writerIn = one(trace, s -> s.service().equals("scim-writer")
                            && s.kind().equals("CONSUMER") && s.parentSpanId().equals(mapperOut.spanId()), all,
                            "the writer's consumer span, child of the mapper's send");
                    assertThat(trace).as("the Druva request, an HTTP client span of the writer to Druva's port; " + all)
                            .anySatisfy(s -> {
                                assertThat(s.service()).isEqualTo("scim-writer");
                                assertThat(s.kind()).isEqualTo("CLIENT");
                                assertThat(s.attributes().values()).anySatisfy(
                                        v -> assertThat(v).contains(String.valueOf(druvaPort())));
                            });
                    assertThat(trace).as("the writer's send of the result; " + all).anySatisfy(s -> {
                        assertThat(s.service()).isEqualTo("scim-writer");
                        assertThat(s.kind()).isEqualTo("PRODUCER");
                        assertThat(s.spanId()).isNotEqualTo(writerIn.spanId());
                    });
                    System.out.println("TracingEndToEndIT: " + all);
                });
    }

    private static int druvaPort() {
        return java.net.URI.create(system.druva().baseUrl()).getPort();
    }

    private static TraceCollector.Span one(List<TraceCollector.Span> trace, Predicate<TraceCollector.Span> which,
            String all, String what) {
        List<TraceCollector.Span> found = trace.stream().filter(which).toList();
        assertThat(found).as(what + "; " + all).hasSize(1);
        return found.get(0);
    }
}
