package dev.provisioning.telemetry;

import java.util.Set;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** What every service measures of its Kafka clients ({@code telemetry.*}). */
@ConfigMapping(prefix = "telemetry")
public interface TelemetryConfig {

    /**
     * The Kafka client meters kept (Micrometer names); every other {@code kafka.*} meter is dropped. Default: consumer
     * lag per partition, records consumed per topic, assigned partitions, rebalances, seconds since the last poll,
     * records sent and send errors per topic ({@link KafkaClientMeters#DEFAULT_ALLOWED}).
     */
    @WithDefault("kafka.consumer.fetch.manager.records.lag,kafka.consumer.fetch.manager.records.consumed.total,"
            + "kafka.consumer.coordinator.assigned.partitions,kafka.consumer.coordinator.rebalance.total,"
            + "kafka.consumer.last.poll.seconds.ago,kafka.producer.topic.record.send.total,"
            + "kafka.producer.topic.record.error.total")
    Set<String> kafkaMeters();
}
