package dev.provisioning.telemetry;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.microprofile.config.Config;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;

/**
 * The Kafka client meters of a service (Micrometer's {@code KafkaClientMetrics}, bound by Quarkus to every consumer
 * and producer SmallRye creates when {@code quarkus.micrometer.binder.kafka.enabled=true}), as deploy/METRICS.md
 * specifies them:
 * <ul>
 * <li>every {@code kafka.consumer.*} meter gets the tag {@code consumer_group}. Kafka's own metrics know only the
 * client id; SmallRye names a channel's consumer {@code kafka-consumer-<channel>} (or
 * {@code <client-id-prefix><channel>}, {@code -<n>} appended when the channel has several consumers), and the channel's
 * {@code group.id} is in the configuration. A group id ending in a UUID (the per-replica job-configuration groups,
 * {@code <service>-jobs-${quarkus.uuid}}) is reported without it, so a restart makes no new series;</li>
 * <li>only the Kafka meters named in {@code allowed} are kept. A client has a few hundred metrics (per node, per
 * topic, per partition); with five clients per service they would be the largest series source of the system, and the
 * dashboard, the alerts and the lag scaler read three.</li>
 * </ul>
 */
public final class KafkaClientMeters implements MeterFilter {

    /** Micrometer's prefix of Kafka consumer meters. */
    static final String CONSUMER = "kafka.consumer.";
    private static final Pattern INCOMING = Pattern.compile("mp\\.messaging\\.incoming\\.(.+)\\.connector");
    private static final Pattern TRAILING_UUID = Pattern
            .compile("-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");

    static final String RECORDS_CONSUMED = "kafka.consumer.fetch.manager.records.consumed.total";

    /** The Kafka meters kept by default (Micrometer names; Prometheus replaces the dots with underscores). */
    public static final Set<String> DEFAULT_ALLOWED = Set.of(
            "kafka.consumer.fetch.manager.records.lag",
            "kafka.consumer.fetch.manager.records.consumed.total",
            "kafka.consumer.coordinator.assigned.partitions",
            "kafka.consumer.coordinator.rebalance.total",
            "kafka.consumer.last.poll.seconds.ago",
            "kafka.producer.topic.record.send.total",
            "kafka.producer.topic.record.error.total");

    /** Client id (exact) to consumer group; longest ids first so that {@code -<n>} suffixes match the right one. */
    private final Map<String, String> groupByClientId;
    private final Set<String> allowed;

    /**
     * @param groupByClientId each incoming channel's client id (without a {@code -<n>} suffix) and group id
     * @param allowed the Kafka meters to keep
     */
    public KafkaClientMeters(Map<String, String> groupByClientId, Set<String> allowed) {
        this.groupByClientId = new TreeMap<>((a, b) -> a.length() != b.length()
                ? Integer.compare(b.length(), a.length())
                : a.compareTo(b));
        groupByClientId.forEach((client, group) -> this.groupByClientId.put(client, stable(group)));
        this.allowed = Set.copyOf(allowed);
    }

    /**
     * Reads the Kafka channels of the configuration: every {@code mp.messaging.incoming.<channel>} whose connector is
     * {@code smallrye-kafka}, with its {@code client.id} (or {@code client-id-prefix}) and {@code group.id} (default:
     * the application name, as SmallRye's).
     */
    public static KafkaClientMeters of(Config config, Set<String> allowed) {
        Map<String, String> groups = new TreeMap<>();
        String application = config.getOptionalValue("quarkus.application.name", String.class).orElse("application");
        for (String name : config.getPropertyNames()) {
            Matcher m = INCOMING.matcher(name);
            if (!m.matches() || !config.getOptionalValue(name, String.class).orElse("").equals("smallrye-kafka")) {
                continue;
            }
            String channel = m.group(1);
            String prefix = "mp.messaging.incoming." + channel + ".";
            String clientId = config.getOptionalValue(prefix + "client.id", String.class)
                    .orElseGet(() -> config.getOptionalValue(prefix + "client-id-prefix", String.class)
                            .orElse("kafka-consumer-") + channel);
            groups.put(clientId, config.getOptionalValue(prefix + "group.id", String.class).orElse(application));
        }
        return new KafkaClientMeters(groups, allowed);
    }

    @Override
    public MeterFilterReply accept(Meter.Id id) {
        if (!id.getName().startsWith("kafka.")) {
            return MeterFilterReply.NEUTRAL;
        }
        if (id.getName().equals(RECORDS_CONSUMED) && id.getTag("topic") == null) {
            // Kafka reports records-consumed-total per client and per topic under one name. Micrometer keeps the
            // variant with more tags, comparing the registered meter's tags (consumer_group added here) with the new
            // one's (not yet added): the per-topic variant would never replace the per-client one. Only per topic.
            return MeterFilterReply.DENY;
        }
        return allowed.contains(id.getName()) ? MeterFilterReply.NEUTRAL : MeterFilterReply.DENY;
    }

    @Override
    public Meter.Id map(Meter.Id id) {
        if (!id.getName().startsWith(CONSUMER) || id.getTag(MeterTags.CONSUMER_GROUP) != null) {
            return id;
        }
        String clientId = id.getTag("client.id");
        return groupOf(clientId).map(group -> id.withTag(Tag.of(MeterTags.CONSUMER_GROUP, group))).orElse(id);
    }

    /** The consumer group of a consumer's client id, if it belongs to a configured channel. */
    Optional<String> groupOf(String clientId) {
        if (clientId == null) {
            return Optional.empty();
        }
        for (Map.Entry<String, String> e : groupByClientId.entrySet()) {
            String id = e.getKey();
            if (clientId.equals(id) || (clientId.startsWith(id + "-")
                    && clientId.substring(id.length() + 1).chars().allMatch(Character::isDigit))) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }

    /** The configured groups, by client id (for tests and the log). */
    public Map<String, String> groups() {
        return Map.copyOf(groupByClientId);
    }

    /** {@code notifier-jobs-<uuid>} is reported as {@code notifier-jobs}: one series per group across restarts. */
    static String stable(String group) {
        return TRAILING_UUID.matcher(group).replaceFirst("");
    }
}
