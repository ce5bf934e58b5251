package dev.provisioning.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.config.WithDefault;

class KafkaClientMetersTest {

    static final KafkaClientMeters FILTER = new KafkaClientMeters(Map.of(
            "kafka-consumer-jobs", "notifier-jobs-3f2b1c9e-8d7a-4b6c-9e5f-1a2b3c4d5e6f",
            "kafka-consumer-results", "notifier",
            "kafka-consumer-results-dlq", "other"), KafkaClientMeters.DEFAULT_ALLOWED);

    @Test
    void consumerMetersGetTheirChannelsGroupAndPerReplicaGroupsLoseTheirUuid() {
        MeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(FILTER);

        gauge(registry, "kafka.consumer.fetch.manager.records.lag", "kafka-consumer-results");
        gauge(registry, "kafka.consumer.fetch.manager.records.consumed.total", "kafka-consumer-jobs");
        gauge(registry, "kafka.consumer.coordinator.assigned.partitions", "kafka-consumer-results-1");
        gauge(registry, "kafka.consumer.last.poll.seconds.ago", "kafka-consumer-results-dlq");
        gauge(registry, "kafka.producer.topic.record.send.total", "kafka-producer-results");

        assertThat(groupOf(registry, "kafka.consumer.fetch.manager.records.lag")).isEqualTo("notifier");
        assertThat(groupOf(registry, "kafka.consumer.fetch.manager.records.consumed.total")).isEqualTo("notifier-jobs");
        assertThat(groupOf(registry, "kafka.consumer.coordinator.assigned.partitions")).isEqualTo("notifier");
        assertThat(groupOf(registry, "kafka.consumer.last.poll.seconds.ago")).isEqualTo("other");
        assertThat(groupOf(registry, "kafka.producer.topic.record.send.total")).isNull();
    }

    @Test
    void onlyTheAllowedKafkaMetersAreKeptOthersPassUntouched() {
        MeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(FILTER);

        gauge(registry, "kafka.consumer.fetch.manager.records.lag", "kafka-consumer-results");
        gauge(registry, "kafka.consumer.node.request.latency.avg", "kafka-consumer-results");
        gauge(registry, "kafka.producer.buffer.available.bytes", "kafka-producer-results");
        gauge(registry, "scim.writer.rate.limit", "n/a");

        assertThat(registry.getMeters()).extracting(m -> m.getId().getName())
                .containsExactlyInAnyOrder("kafka.consumer.fetch.manager.records.lag", "scim.writer.rate.limit");
    }

    @Test
    void recordsConsumedIsKeptPerTopicOnlySoThePerClientVariantCannotHideIt() {
        MeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(FILTER);

        Gauge.builder("kafka.consumer.fetch.manager.records.consumed.total", () -> 1)
                .tag("client.id", "kafka-consumer-results").register(registry);
        gauge(registry, "kafka.consumer.fetch.manager.records.consumed.total", "kafka-consumer-results");

        assertThat(registry.find("kafka.consumer.fetch.manager.records.consumed.total").meters())
                .singleElement()
                .satisfies(m -> assertThat(m.getId().getTag("topic")).isEqualTo("provisioning.results"));
    }

    @Test
    void anUnknownClientIdGetsNoGroupTag() {
        assertThat(FILTER.groupOf("kafka-consumer-assignments")).isEmpty();
        assertThat(FILTER.groupOf("kafka-consumer-results-x")).isEmpty();
        assertThat(FILTER.groupOf(null)).isEmpty();
    }

    @Test
    void theConfigurationDefaultIsTheDocumentedList() throws Exception {
        String configured = TelemetryConfig.class.getMethod("kafkaMeters").getAnnotation(WithDefault.class).value();
        assertThat(Arrays.stream(configured.split(",")).collect(Collectors.toSet()))
                .isEqualTo(KafkaClientMeters.DEFAULT_ALLOWED);
    }

    @Test
    void aTrailingUuidIsDropped() {
        assertThat(KafkaClientMeters.stable("scim-writer-jobs-3f2b1c9e-8d7a-4b6c-9e5f-1a2b3c4d5e6f"))
                .isEqualTo("scim-writer-jobs");
        assertThat(KafkaClientMeters.stable("scim-writer")).isEqualTo("scim-writer");
        assertThat(Set.of(KafkaClientMeters.stable("a-jobs-x"))).containsExactly("a-jobs-x");
    }

    private static void gauge(MeterRegistry registry, String name, String clientId) {
        Gauge.builder(name, () -> 1).tag("client.id", clientId).tag("topic", "provisioning.results")
                .register(registry);
    }

    private static String groupOf(MeterRegistry registry, String name) {
        Meter meter = registry.find(name).meter();
        assertThat(meter).as(name).isNotNull();
        return meter.getId().getTag(MeterTags.CONSUMER_GROUP);
    }
}
