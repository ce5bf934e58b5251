package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.security.TestSecurity;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.detector.tracing.TracedOneEventAtATime;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;
import dev.provisioning.telemetry.TraceParent;

/**
 * With tracing on, the detector's hop of one object's trace: a scheduled cycle sends each object's assignment event
 * with a producer span of its own, the root of that object's trace, and the record's {@code traceparent} header names
 * it (the mapper continues it). One trace per object, not one per cycle.
 */
@QuarkusTest
@TestProfile(TracedOneEventAtATime.class)
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
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
    void eachObjectOfACycleStartsATraceOfItsOwnCarriedInItsRecordsHeaders(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("d.json");
        Files.writeString(file, TestJobs.users(3, 3));
        String jobId = create(job(file, "On", "trace-token"));

        List<ConsumerRecord<String, String>> records = kafka.read(Topics.ASSIGNMENTS,
                r -> r.key() != null && r.key().startsWith(jobId + "/"), 3, Waits.OUTCOME);
        assertThat(records).hasSize(3);
        List<TraceParent> sent = records.stream().map(r -> TraceParent.of(r.headers())
                .orElseThrow(() -> new AssertionError("no traceparent on " + r.key()))).toList();
        assertThat(sent).extracting(TraceParent::traceId).as("one trace per object").doesNotHaveDuplicates();

        await().atMost(Waits.OUTCOME).untilAsserted(() -> {
            for (TraceParent tp : sent) {
                SpanData producer = spans.getFinishedSpanItems().stream()
                        .filter(s -> s.getSpanId().equals(tp.spanId())).findFirst().orElse(null);
                assertThat(producer).as("the producer span named by " + tp.header()).isNotNull();
                assertThat(producer.getKind()).isEqualTo(SpanKind.PRODUCER);
                assertThat(producer.getTraceId()).isEqualTo(tp.traceId());
                assertThat(producer.getParentSpanId()).as("the root of the object's trace")
                        .isEqualTo(SpanId.getInvalid());
            }
        });
    }
}
