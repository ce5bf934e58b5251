package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.resultId;
import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.util.List;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.Topics;
import dev.provisioning.telemetry.TraceParent;
import dev.provisioning.writer.Waits;
import dev.provisioning.writer.tracing.TracingOn;

/**
 * With tracing on, the writer's hop of one object's trace: the operation record's {@code traceparent} (as the mapper
 * sends it) is the parent of the writer's consumer span; the Druva request (the Vert.x web client's client span) and
 * the result record belong to the same trace, although the tenant's lane runs the operation on another Vert.x context
 * than the one the record arrived on. Tracing is on in {@link LaneShareTest}'s profile ({@link TracingOn} and small
 * lanes), which this class shares to spare the application a restart; one operation needs no more than those lanes.
 */
@QuarkusTest
@TestProfile(LaneShareTest.SmallLanes.class)
class TracingTest {

    @Inject
    InMemorySpanExporter spans;

    @Test
    void theDruvaRequestAndTheResultBelongToTheOperationsTrace() throws Exception {
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            String jobId = unique("job");
            KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl()));
            ScimOperation op = Fixtures.upsert(jobId, "obj-traced", Fixtures.user("tia", "Tia", "Traced"));
            TraceParent mapper = TraceParent.random();
            ProducerRecord<String, String> record = new ProducerRecord<>(Topics.OPERATIONS, op.key(), Json.write(op));
            record.headers().add(TraceParent.HEADER, mapper.header().getBytes(StandardCharsets.UTF_8));
            KafkaTopics.producer().send(record).get();

            ConsumerRecord<String, String> result = KafkaTopics.awaitRecord(Topics.RESULTS,
                    r -> r.value() != null && r.value().contains(resultId(op)));
            assertThat(EventChecks.result(result.value()).status()).isEqualTo(ProvisioningStatus.Success);
            assertThat(druva.users()).extracting(u -> u.userName()).contains("tia@example.com");

            TraceParent sent = TraceParent.of(result.headers())
                    .orElseThrow(() -> new AssertionError("no traceparent on the result record"));
            assertThat(sent.traceId()).as("the result continues the operation's trace").isEqualTo(mapper.traceId());

            await().atMost(Waits.OUTCOME).untilAsserted(() -> {
                List<SpanData> trace = spans.getFinishedSpanItems().stream()
                        .filter(s -> s.getTraceId().equals(mapper.traceId())).toList();
                SpanData consumer = trace.stream().filter(s -> s.getKind() == SpanKind.CONSUMER
                        && s.getParentSpanId().equals(mapper.spanId())).findFirst().orElse(null);
                assertThat(consumer).as("the writer's consumer span, child of the mapper's").isNotNull();
                assertThat(trace).as("the Druva request's client span in the same trace")
                        .anySatisfy(s -> assertThat(s.getKind()).isEqualTo(SpanKind.CLIENT));
                assertThat(trace).as("the result's producer span, named by its traceparent")
                        .anySatisfy(s -> {
                            assertThat(s.getSpanId()).isEqualTo(sent.spanId());
                            assertThat(s.getKind()).isEqualTo(SpanKind.PRODUCER);
                        });
            });
        }
    }
}
