package dev.provisioning.localstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.provisioning.events.Topics;

/**
 * Kafka with credentials, as a production cluster runs it: every service authenticates with SASL/SCRAM-SHA-512 as its
 * own user and can do exactly what {@link KafkaAcls} (and {@code deploy/kafka/ACLS.md}) grant it: produce to the topics
 * it writes, consume the topics it reads in its own groups, and nothing else. (The end-to-end tests run the packaged
 * services themselves on such a broker.)
 */
class KafkaCredentialsTest {

    /** The ceiling of a wait for something that must happen (the other modules' Waits.OUTCOME). */
    static final Duration OUTCOME = Duration.ofMinutes(2);
    static LocalKafka kafka;
    static final Map<String, String> PASSWORDS = new HashMap<>();

    @BeforeAll
    static void start() {
        kafka = LocalKafka.startWithCredentials(1);
        for (KafkaAcls.ServiceAcl acl : KafkaAcls.ALL) {
            PASSWORDS.put(acl.principal(), kafka.addUser(acl.principal()));
            kafka.grant(acl);
        }
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    private static Properties client(String user, String password) {
        Properties p = new Properties();
        kafka.clientConfig(user, password).forEach((k, v) -> p.put(k.substring("kafka.".length()), v));
        return p;
    }

    private static void produce(String user, String topic) throws Exception {
        Properties p = client(user, PASSWORDS.get(user));
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(OUTCOME.toMillis()));
        try (var producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "k-" + user, "from " + user)).get(OUTCOME.toSeconds(),
                    TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    /**
     * Subscribes in {@code group}, polls until assigned, commits each assigned partition's position: what a service's
     * consumer does. The commit names the partitions, so it needs READ on the topic (Kafka's OffsetCommit ACL) and
     * proves it whatever the timing: a bare {@code commitSync()} right after the assignment commits nothing when no
     * fetch has completed yet, and a user with only DESCRIBE (implied by WRITE) then passed as a reader on a busy
     * machine.
     */
    private static void consume(String user, String topic, String group) {
        Properties p = client(user, PASSWORDS.get(user));
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + OUTCOME.toNanos();
            while (consumer.assignment().isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200));
            }
            assertThat(consumer.assignment()).as(user + " assigned " + topic + " in " + group).isNotEmpty();
            Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
            for (TopicPartition partition : consumer.assignment()) {
                positions.put(partition, new OffsetAndMetadata(consumer.position(partition, OUTCOME)));
            }
            consumer.commitSync(positions, OUTCOME);
        }
    }

    private static String groupOf(KafkaAcls.ServiceAcl acl) {
        return acl.groups().get(0);
    }

    @Test
    void eachServiceWritesTheTopicsItWritesAndReadsTheTopicsItReadsInItsOwnGroups() throws Exception {
        for (KafkaAcls.ServiceAcl acl : KafkaAcls.ALL) {
            for (String topic : acl.writes()) {
                produce(acl.principal(), topic);
            }
            for (String topic : acl.reads()) {
                consume(acl.principal(), topic, groupOf(acl));
            }
            for (String prefix : acl.groupPrefixes()) {
                consume(acl.principal(), Topics.JOBS, prefix + UUID.randomUUID());
            }
        }
    }

    @Test
    void aServiceCanDoNothingItsAclsDoNotGrant() {
        List<String> everyTopic = new ArrayList<>(Topics.all());
        for (KafkaAcls.ServiceAcl acl : KafkaAcls.ALL) {
            for (String topic : everyTopic) {
                if (!acl.writes().contains(topic)) {
                    assertThatThrownBy(() -> produce(acl.principal(), topic))
                            .as(acl.principal() + " writing " + topic).isInstanceOf(TopicAuthorizationException.class);
                }
                if (!acl.reads().contains(topic)) {
                    assertThatThrownBy(() -> consume(acl.principal(), topic, groupOf(acl)))
                            .as(acl.principal() + " reading " + topic).isInstanceOf(TopicAuthorizationException.class);
                }
            }
            // another service's group
            String other = KafkaAcls.ALL.stream().filter(a -> a != acl).findFirst().orElseThrow().groups().get(0);
            assertThatThrownBy(() -> consume(acl.principal(), acl.reads().get(0), other))
                    .as(acl.principal() + " in group " + other).isInstanceOf(GroupAuthorizationException.class);
        }
        // the notifier writes nothing but its dead-letter topics
        assertThat(KafkaAcls.NOTIFIER.writes()).allSatisfy(t -> assertThat(t).endsWith(Topics.DLQ_SUFFIX));
    }

    @Test
    void aWrongPasswordIsRefused() {
        Properties p = client("mapper-service", "not-the-password");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(OUTCOME.toMillis()));
        try (var producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            assertThatThrownBy(
                    () -> producer.send(new ProducerRecord<>(Topics.OPERATIONS, "k", "v")).get(OUTCOME.toSeconds(),
                            TimeUnit.SECONDS))
                    .hasCauseInstanceOf(SaslAuthenticationException.class);
        }
    }

    @Test
    void theDocumentedAclsAreTheOnesGranted() throws Exception {
        Path doc = projectRoot().resolve("deploy/kafka/ACLS.md");
        String text = Files.readString(doc);
        for (KafkaAcls.ServiceAcl acl : KafkaAcls.ALL) {
            for (String command : acl.commands()) {
                assertThat(text).as(doc + " documents").contains(command);
            }
        }
        long documented = text.lines().filter(l -> l.startsWith("kafka-acls.sh ")).count();
        assertThat(documented).isEqualTo(KafkaAcls.ALL.stream().mapToLong(a -> a.commands().size()).sum());
    }

    private static Path projectRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("deploy"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("cannot find the project root (with deploy/) above the working directory");
        }
        return dir;
    }
}
