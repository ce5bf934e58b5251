package dev.provisioning.mapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.provisioning.events.Assignment;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/**
 * Issue 13, M2: the mapper consumes {@code provisioning.assignments} a poll at a time and acks each poll once. 2,000
 * records in one partition, a malformed record and an unknown job's records among them: every output per key in offset
 * order, the malformed record dead-lettered with its reason and origin, the other job's records not held up by the
 * parked ones, and the consumer group's committed offset (read with the admin client) never past the first parked
 * record until its job's configuration arrives, then past the last record.
 *
 * <p>
 * Its own consumer group, starting at the end of the topic, so no record of another test class (a job that never
 * arrives, say) holds this group's offsets; commits every 500 ms instead of 5 s, so a commit past the parked record
 * would show within the quiet period; the job wait longer than the test.
 */
@QuarkusTest
@TestProfile(MapperBatchTest.OwnGroup.class)
@QuarkusTestResource(LocalStackTestResource.class)
class MapperBatchTest {

    static final String GROUP = "mapper-batch-test-" + UUID.randomUUID();
    static final TopicPartition PARTITION = new TopicPartition(Topics.ASSIGNMENTS, 0);

    /** This class's own group from the end of the topic, commits every 500 ms, a job wait of 10 minutes. */
    public static class OwnGroup implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("mp.messaging.incoming.assignments.group.id", GROUP,
                    "mp.messaging.incoming.assignments.auto.offset.reset", "latest",
                    "mp.messaging.incoming.assignments.auto.commit.interval.ms", "500",
                    "mapper.job-wait-timeout", "10m");
        }
    }

    static TopicClient kafka;
    static KafkaProducer<String, String> producer;
    static Admin admin;

    @BeforeAll
    static void connect() {
        String servers = LocalStackTestResource.stack().kafka().bootstrapServers();
        kafka = new TopicClient(servers);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        Properties a = new Properties();
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        admin = Admin.create(a);
    }

    @AfterAll
    static void disconnect() {
        kafka.close();
        producer.close(Duration.ofSeconds(5));
        admin.close(Duration.ofSeconds(5));
    }

    @Test
    void aPollIsAckedOnlyWhenItsParkedRecordsAreResolvedAndNothingElseWaitsForThem() throws Exception {
        String known = publishJob("job-" + UUID.randomUUID());
        awaitConsuming(known);
        String unknown = "job-" + UUID.randomUUID();
        int count = 2_000;
        int malformedAt = 700;
        int parkedFrom = 1_000;
        int parkedTo = 1_010;
        List<ProducerRecord<String, String>> sent = new ArrayList<>();
        Map<String, List<String>> versionsByKey = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            if (i == malformedAt) {
                sent.add(new ProducerRecord<>(Topics.ASSIGNMENTS, 0, known + "/broken", "{\"schemaVersion\": 1, \"ev"));
                continue;
            }
            String jobId = i >= parkedFrom && i < parkedTo ? unknown : known;
            AssignmentEvent event = event(jobId, "u" + (i % 40), "v" + i);
            versionsByKey.computeIfAbsent(event.key(), k -> new ArrayList<>()).add("v" + i);
            sent.add(new ProducerRecord<>(Topics.ASSIGNMENTS, 0, event.key(), Json.write(event)));
        }

        List<Future<RecordMetadata>> acks = new ArrayList<>();
        sent.forEach(r -> acks.add(producer.send(r)));
        List<Long> offsets = new ArrayList<>();
        for (Future<RecordMetadata> ack : acks) {
            offsets.add(ack.get(Waits.OUTCOME.toMillis(), TimeUnit.MILLISECONDS).offset());
        }
        long first = offsets.get(0);
        long firstParked = offsets.get(parkedFrom);
        long last = offsets.get(count - 1);
        assertThat(last - first).as("one partition, in sending order").isEqualTo(count - 1);

        // the known job's 1,989 records, those after the parked ones included, are mapped while they wait
        int knownRecords = count - 1 - (parkedTo - parkedFrom);
        List<ConsumerRecord<String, String>> out = kafka.read(Topics.OPERATIONS,
                r -> r.key().startsWith(known + "/u"), knownRecords, Waits.OUTCOME);
        assertThat(out).hasSize(knownRecords);
        assertInOffsetOrder(out, versionsByKey, known);
        assertThat(kafka.readAll(Topics.OPERATIONS, r -> r.key().startsWith(unknown + "/"))).isEmpty();
        assertThat(kafka.readAll(Topics.RESULTS, r -> r.key().startsWith(unknown + "/"))).isEmpty();
        assertThat(kafka.readAll(Topics.deadLetter(Topics.ASSIGNMENTS), r -> r.key().startsWith(unknown + "/")))
                .isEmpty();

        ConsumerRecord<String, String> dead = kafka.read(Topics.deadLetter(Topics.ASSIGNMENTS),
                r -> r.key().equals(known + "/broken"), 1, Waits.OUTCOME).get(0);
        assertThat(header(dead, "dead-letter-reason")).startsWith("AssignmentEvent: ");
        assertThat(header(dead, "dead-letter-topic")).isEqualTo(Topics.ASSIGNMENTS);
        assertThat(header(dead, "dead-letter-partition")).isEqualTo("0");
        assertThat(header(dead, "dead-letter-offset")).isEqualTo(String.valueOf(offsets.get(malformedAt)));
        assertThat(dead.value()).isEqualTo(sent.get(malformedAt).value());

        // the polls before the parked records' poll are committed; nothing at or after the first parked record is
        await().atMost(Waits.OUTCOME).until(() -> committed() > first);
        await().during(Waits.QUIET).atMost(Waits.QUIET.plus(Waits.OUTCOME))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(committed())
                        .as("the committed offset while records at %d.. are parked", firstParked)
                        .isLessThanOrEqualTo(firstParked));

        publishJob(unknown);

        List<ConsumerRecord<String, String>> resolved = kafka.read(Topics.OPERATIONS,
                r -> r.key().startsWith(unknown + "/"), parkedTo - parkedFrom, Waits.OUTCOME);
        assertThat(resolved).hasSize(parkedTo - parkedFrom);
        assertInOffsetOrder(resolved, versionsByKey, unknown);
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(committed()).isGreaterThan(last));
        assertThat(kafka.readAll(Topics.deadLetter(Topics.ASSIGNMENTS), r -> r.key().startsWith(known + "/")))
                .as("only the malformed record is dead-lettered").hasSize(1);
    }

    /** Each key's operations carry the versions of its records in offset order. */
    private static void assertInOffsetOrder(List<ConsumerRecord<String, String>> out,
            Map<String, List<String>> versionsByKey, String jobId) {
        Map<String, List<String>> seen = new LinkedHashMap<>();
        for (ConsumerRecord<String, String> r : out) {
            ScimOperation op = EventChecks.operation(r.value());
            seen.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(op.displayName());
        }
        Map<String, List<String>> expected = new LinkedHashMap<>();
        versionsByKey.forEach((key, versions) -> {
            if (key.startsWith(jobId + "/")) {
                expected.put(key, versions);
            }
        });
        assertThat(seen).isEqualTo(expected);
    }

    /** The group's committed offset of partition 0 (the next record it will read), or -1 if none yet. */
    private static long committed() throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(GROUP)
                .partitionsToOffsetAndMetadata().get(Waits.OUTCOME.toMillis(), TimeUnit.MILLISECONDS);
        OffsetAndMetadata offset = offsets.get(PARTITION);
        return offset == null ? -1 : offset.offset();
    }

    /**
     * Waits until the mapper consumes from the end of the topic: a probe of the known job becomes an operation (the
     * group starts at the end, so a probe sent before the consumer was assigned its partitions is skipped; then another
     * is sent).
     */
    private static void awaitConsuming(String jobId) {
        await().atMost(Waits.OUTCOME).until(() -> {
            AssignmentEvent probe = event(jobId, "probe-" + UUID.randomUUID(), "p");
            kafka.send(Topics.ASSIGNMENTS, probe.key(), Json.write(probe));
            return kafka.read(Topics.OPERATIONS, r -> r.key().equals(probe.key()), 1, Waits.QUIET).size() == 1;
        });
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static String publishJob(String jobId) {
        return TestJobs.publish(kafka, jobId);
    }

    private static AssignmentEvent event(String jobId, String userId, String version) {
        return new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, UUID.randomUUID().toString(), jobId, "cycle-1", true,
                ObjectType.USER, userId, ChangeKind.ADDED, Map.of("userPrincipalName", userId + "@x.test", "mail",
                        userId + "@x.test", "displayName", version, "accountEnabled", true),
                List.of(new Assignment("r", null)), List.of(), Instant.now());
    }
}
