package dev.provisioning.writer.it;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.Topics;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.writer.Waits;

/**
 * Plain Kafka clients on the shared test broker: publishes jobs and operations, reads results and dead letters. Reads
 * whole topics (assigned partitions from the beginning, no consumer group), so each test looks for its own records.
 */
final class KafkaTopics {

    private static KafkaProducer<String, String> producer;

    private KafkaTopics() {
    }

    static synchronized KafkaProducer<String, String> producer() {
        if (producer == null) {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            producer = new KafkaProducer<>(props);
        }
        return producer;
    }

    static void publishJob(JobConfig job) {
        send(Topics.JOBS, job.jobId(), Json.write(job));
    }

    static void publishOperation(ScimOperation op) {
        send(Topics.OPERATIONS, op.key(), Json.write(op));
    }

    /** Publishes the operations at once (not one round trip each), then waits until all are on the topic. */
    static void publishOperations(List<ScimOperation> ops) {
        List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
        for (ScimOperation op : ops) {
            sent.add(producer().send(new ProducerRecord<>(Topics.OPERATIONS, op.key(), Json.write(op))));
        }
        try {
            for (java.util.concurrent.Future<?> f : sent) {
                f.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot publish to " + Topics.OPERATIONS, e);
        }
    }

    static void send(String topic, String key, String value) {
        try {
            producer().send(new ProducerRecord<>(topic, key, value)).get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot publish to " + topic, e);
        }
    }

    /** Every result on {@code provisioning.results} for the given result id, once at least {@code count} are there. */
    static List<ProvisioningResult> awaitResults(String resultId, int count) {
        List<ProvisioningResult> found = new ArrayList<>();
        await().atMost(Waits.OUTCOME).until(() -> {
            found.clear();
            for (ConsumerRecord<String, String> r : readAll(Topics.RESULTS)) {
                ProvisioningResult result = EventChecks.result(r.value());
                if (result.resultId().equals(resultId)) {
                    found.add(result);
                }
            }
            return found.size() >= count;
        });
        return found;
    }

    /** The first result of each of the result ids, once all are there. */
    static java.util.Map<String, ProvisioningResult> awaitAllResults(java.util.Collection<String> resultIds,
            Duration atMost) {
        java.util.Map<String, ProvisioningResult> found = new java.util.HashMap<>();
        java.util.Set<String> wanted = new java.util.HashSet<>(resultIds);
        await().atMost(atMost).pollInterval(Duration.ofSeconds(1)).until(() -> {
            found.clear();
            for (ConsumerRecord<String, String> r : readAll(Topics.RESULTS)) {
                ProvisioningResult result = EventChecks.result(r.value());
                if (wanted.contains(result.resultId())) {
                    found.putIfAbsent(result.resultId(), result);
                }
            }
            return found.size() == wanted.size();
        });
        return found;
    }

    /**
     * The final outcome of each operation, once all are final: its follow-up when it has one (it waited in escrow or
     * was held, then was retried, dropped or superseded), else its first result, unless that one says it is retried
     * ({@code retryAt}) or held (Skipped or Failure with {@code InvalidCredentials}), whose follow-up is awaited.
     */
    static java.util.Map<String, ProvisioningResult> awaitFinalResults(java.util.Collection<String> resultIds,
            Duration atMost) {
        java.util.Map<String, ProvisioningResult> found = new java.util.HashMap<>();
        await().atMost(atMost).pollInterval(Duration.ofSeconds(1)).until(() -> {
            found.clear();
            java.util.Map<String, ProvisioningResult> byId = new java.util.HashMap<>();
            for (ConsumerRecord<String, String> r : readAll(Topics.RESULTS)) {
                ProvisioningResult result = EventChecks.result(r.value());
                byId.putIfAbsent(result.resultId(), result);
            }
            for (String id : resultIds) {
                ProvisioningResult last = byId.get(id);
                while (last != null && byId.containsKey(ProvisioningResult.followUpIdOf(last.resultId()))) {
                    last = byId.get(ProvisioningResult.followUpIdOf(last.resultId()));
                }
                if (last != null && last.retryAt() == null && !"InvalidCredentials".equals(last.errorCode())) {
                    found.put(id, last);
                }
            }
            return found.size() == resultIds.size();
        });
        return found;
    }

    static ProvisioningResult awaitResult(String resultId) {
        return awaitResults(resultId, 1).get(0);
    }

    /** The first record of {@code topic} that satisfies {@code predicate}, waiting for it. */
    static ConsumerRecord<String, String> awaitRecord(String topic,
            Predicate<ConsumerRecord<String, String>> predicate) {
        List<ConsumerRecord<String, String>> found = new ArrayList<>();
        await().atMost(Waits.OUTCOME).until(() -> {
            readAll(topic).stream().filter(predicate).findFirst().ifPresent(found::add);
            return !found.isEmpty();
        });
        return found.get(0);
    }

    /** Everything currently in the topic. */
    static List<ConsumerRecord<String, String>> readAll(String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            var end = consumer.endOffsets(partitions);
            // the topic grows with every test: on a busy machine reading it to its end can take a while
            long deadline = System.nanoTime() + Waits.OUTCOME.toNanos();
            while (System.nanoTime() < deadline
                    && partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                consumer.poll(Duration.ofMillis(100)).forEach(records::add);
            }
        }
        return records;
    }

    static String bootstrap() {
        return LocalStackTestResource.stack().kafka().bootstrapServers();
    }
}
