package dev.provisioning.mapper.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

import dev.provisioning.events.Assignment;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;
import dev.provisioning.mapper.TestJobs;
import dev.provisioning.mapper.Waits;
import dev.provisioning.telemetry.TraceParent;

/**
 * With tracing on, the mapper's hop of one object's trace: the assignment record's {@code traceparent} (as the detector
 * sends it) is the parent of the mapper's consumer span, whose child is the producer span of the operation or result
 * record, whose {@code traceparent} names that producer span; so the writer continues the same trace. Also when the
 * record waited for its job's configuration and was sent from another thread.
 */
@QuarkusTest
@TestProfile(TracingOn.class)
@QuarkusTestResource(LocalStackTestResource.class)
class TracingTest {

    @Inject
    InMemorySpanExporter spans;

    static TopicClient kafka;

    @BeforeAll
    static void connect() {
        kafka = new TopicClient(LocalStackTestResource.stack().kafka().bootstrapServers());
    }

    @AfterAll
    static void disconnect() {
        kafka.close();
    }

    @Test
    void theOperationContinuesTheTraceOfItsAssignmentEvent() {
        String jobId = publishJob("job-" + UUID.randomUUID());
        TraceParent detector = TraceParent.random();
        AssignmentEvent event = event(jobId, "u1", Map.of("userPrincipalName", "ann@x.test", "mail", "ann@x.test",
                "accountEnabled", true));

        kafka.send(Topics.ASSIGNMENTS, event.key(), Json.write(event), Map.of(TraceParent.HEADER, detector.header()));

        assertHop(detector, Topics.OPERATIONS, jobId);
    }

    @Test
    void aResultTheMapperDecidesItselfContinuesTheTraceToo() {
        String jobId = publishJob("job-" + UUID.randomUUID());
        TraceParent detector = TraceParent.random();
        AssignmentEvent event = event(jobId, "u2", Map.of("userPrincipalName", "bob@x.test", "accountEnabled", true));

        kafka.send(Topics.ASSIGNMENTS, event.key(), Json.write(event), Map.of(TraceParent.HEADER, detector.header()));

        assertHop(detector, Topics.RESULTS, jobId);
    }

    @Test
    void aRecordThatWaitedForItsJobsConfigurationKeepsItsTrace() {
        String jobId = "job-" + UUID.randomUUID();
        TraceParent detector = TraceParent.random();
        AssignmentEvent event = event(jobId, "u3", Map.of("userPrincipalName", "cy@x.test", "mail", "cy@x.test",
                "accountEnabled", true));
        kafka.send(Topics.ASSIGNMENTS, event.key(), Json.write(event), Map.of(TraceParent.HEADER, detector.header()));
        // the record is parked until its job is known; then it is decided on another thread
        await().atMost(Waits.OUTCOME).until(() -> consumerSpan(detector) != null);
        publishJob(jobId);

        assertHop(detector, Topics.OPERATIONS, jobId);
    }

    /** detector's span -> mapper consumer span -> mapper producer span -> the outgoing record's traceparent. */
    private void assertHop(TraceParent detector, String topic, String jobId) {
        List<ConsumerRecord<String, String>> out = kafka.read(topic, r -> r.key().startsWith(jobId + "/"), 1,
                Waits.OUTCOME);
        assertThat(out).as("the mapper's record on " + topic).hasSize(1);
        TraceParent sent = TraceParent.of(out.get(0).headers()).orElseThrow(
                () -> new AssertionError("no traceparent on the record the mapper sent to " + topic));
        assertThat(sent.traceId()).as("one trace from the detector's send on").isEqualTo(detector.traceId());

        await().atMost(Waits.OUTCOME).untilAsserted(() -> {
            SpanData consumer = consumerSpan(detector);
            assertThat(consumer).as("the mapper's consumer span, child of the detector's").isNotNull();
            SpanData producer = span(sent.spanId());
            assertThat(producer).as("the producer span named by the outgoing traceparent").isNotNull();
            assertThat(producer.getKind()).isEqualTo(SpanKind.PRODUCER);
            assertThat(producer.getTraceId()).isEqualTo(detector.traceId());
            assertThat(producer.getParentSpanId()).as("sent in the consumed record's context")
                    .isEqualTo(consumer.getSpanId());
        });
    }

    private SpanData consumerSpan(TraceParent parent) {
        return spans.getFinishedSpanItems().stream().filter(s -> s.getKind() == SpanKind.CONSUMER
                && s.getTraceId().equals(parent.traceId()) && s.getParentSpanId().equals(parent.spanId()))
                .findFirst().orElse(null);
    }

    private SpanData span(String spanId) {
        return spans.getFinishedSpanItems().stream().filter(s -> s.getSpanId().equals(spanId)).findFirst()
                .orElse(null);
    }

    private static String publishJob(String jobId) {
        return TestJobs.publish(kafka, jobId);
    }

    private static AssignmentEvent event(String jobId, String userId, Map<String, Object> attributes) {
        return new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, UUID.randomUUID().toString(), jobId, "cycle-1",
                true, ObjectType.USER, userId, ChangeKind.ADDED, attributes,
                List.of(new Assignment("role-user", null)), List.of(), Instant.now());
    }
}
