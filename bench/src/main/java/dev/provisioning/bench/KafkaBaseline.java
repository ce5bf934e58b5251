package dev.provisioning.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.provisioning.events.Topics;

/**
 * The bus alone: what the pipeline's records would cost if nothing but Kafka handled them. For a scenario, it counts the
 * records each pipeline topic received (end offsets before and after), measures their average size from a sample,
 * finds how many consumer groups read each topic, and then produces the same number of records of the same size into
 * fresh topics with the same partitions through the same broker, consumed by as many groups, with the services'
 * producer guarantees (acks=all, idempotent) and a commit after every poll. The pipeline's time over this time is its
 * overhead over the bus.
 */
final class KafkaBaseline {

    /** The topics that carry one record per object. */
    static final List<String> PIPELINE_TOPICS = List.of(Topics.ASSIGNMENTS, Topics.OPERATIONS, Topics.RESULTS,
            Topics.JOB_STATES);

    /**
     * What one pipeline topic carried in a scenario.
     *
     * @param averageBytes the average key + value size of a sample of the records
     * @param consumerGroups how many consumer groups read the topic (the pipeline's own)
     */
    record TopicLoad(String topic, long records, double averageBytes, int consumerGroups) {
    }

    /**
     * The baseline's result.
     *
     * @param records records produced (each consumed by every group of its topic)
     * @param consumed records consumed, all groups together
     * @param bytes key + value bytes produced
     * @param seconds from the first send to the last record consumed
     * @param launcherCpuSeconds CPU of this JVM (the broker and the clients) meanwhile
     */
    record Result(List<TopicLoad> topics, long records, long consumed, long bytes, double seconds,
            double recordsPerSecond, double launcherCpuSeconds) {
    }

    private final String bootstrap;

    KafkaBaseline(String bootstrap) {
        this.bootstrap = bootstrap;
    }

    /** The end offsets of the pipeline topics, by partition. */
    Map<TopicPartition, Long> endOffsets() {
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            var descriptions = admin.describeTopics(PIPELINE_TOPICS).allTopicNames().get(30, TimeUnit.SECONDS);
            descriptions.forEach((topic, d) -> d.partitions()
                    .forEach(p -> request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest())));
            Map<TopicPartition, Long> offsets = new HashMap<>();
            for (var e : admin.listOffsets(request).all().get(30, TimeUnit.SECONDS).entrySet()) {
                ListOffsetsResult.ListOffsetsResultInfo info = e.getValue();
                offsets.put(e.getKey(), info.offset());
            }
            return offsets;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the end offsets of " + PIPELINE_TOPICS, e);
        }
    }

    /** What each pipeline topic carried between two sets of end offsets. */
    List<TopicLoad> loads(Map<TopicPartition, Long> before, Map<TopicPartition, Long> after) {
        Map<String, Integer> groups = consumerGroupsByTopic();
        List<TopicLoad> loads = new ArrayList<>();
        for (String topic : PIPELINE_TOPICS) {
            Map<TopicPartition, long[]> ranges = new LinkedHashMap<>();
            long records = 0;
            for (var e : after.entrySet()) {
                if (e.getKey().topic().equals(topic)) {
                    long from = before.getOrDefault(e.getKey(), 0L);
                    ranges.put(e.getKey(), new long[]{from, e.getValue()});
                    records += e.getValue() - from;
                }
            }
            if (records > 0) {
                loads.add(new TopicLoad(topic, records, averageSize(ranges, 2_000), groups.getOrDefault(topic, 1)));
            }
        }
        return loads;
    }

    /** Produces and consumes the same load through fresh topics. */
    Result run(List<TopicLoad> loads, int partitions) {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Map<String, TopicLoad> topics = new LinkedHashMap<>();
        loads.forEach(l -> topics.put("bench.baseline." + run + "." + l.topic(), l));
        try (Admin admin = admin()) {
            admin.createTopics(topics.keySet().stream().map(t -> new NewTopic(t, partitions, (short) 1)).toList())
                    .all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the baseline topics", e);
        }
        long expected = 0;
        List<Thread> consumers = new ArrayList<>();
        CountDownLatch assigned = new CountDownLatch(topics.values().stream().mapToInt(TopicLoad::consumerGroups)
                .sum());
        long[] consumed = new long[1];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] lastConsumedNanos = new long[1];
        for (var t : topics.entrySet()) {
            for (int g = 0; g < t.getValue().consumerGroups(); g++) {
                expected += t.getValue().records();
                long count = t.getValue().records();
                String group = "bench-baseline-" + run + "-" + t.getValue().topic() + "-" + g;
                Thread consumer = new Thread(() -> consume(t.getKey(), group, count, assigned, consumed,
                        lastConsumedNanos, failure), "baseline-" + group);
                consumer.setDaemon(true);
                consumers.add(consumer);
                consumer.start();
            }
        }
        await(assigned, failure);
        double cpuBefore = ProcessMeter.cpuSeconds(ProcessHandle.current().pid(), false);
        long started = System.nanoTime();
        long produced = 0, bytes = 0;
        Random random = new Random(7);
        try (KafkaProducer<String, byte[]> producer = producer()) {
            // interleave the topics as the pipeline does (object by object), each record its topic's average size
            Map<String, Long> left = new LinkedHashMap<>();
            topics.forEach((name, l) -> left.put(name, l.records()));
            Map<String, byte[]> payloads = new HashMap<>();
            topics.forEach((name, l) -> {
                int size = (int) Math.max(1, Math.round(l.averageBytes()) - 40);
                byte[] value = new byte[size];
                for (int i = 0; i < size; i++) {
                    value[i] = (byte) ('a' + random.nextInt(26));
                }
                payloads.put(name, value);
            });
            boolean any = true;
            long i = 0;
            while (any) {
                any = false;
                for (var e : left.entrySet()) {
                    if (e.getValue() > 0) {
                        any = true;
                        e.setValue(e.getValue() - 1);
                        // keys like the pipeline's (job id / object id): 40 bytes
                        String key = "00000000-0000-0000-0000-000000000000/" + Long.toString(i % 100_000, 36);
                        byte[] value = payloads.get(e.getKey());
                        producer.send(new ProducerRecord<>(e.getKey(), key, value), (m, ex) -> {
                            if (ex != null) {
                                failure.compareAndSet(null, ex);
                            }
                        });
                        produced++;
                        bytes += key.length() + value.length;
                    }
                }
                i++;
            }
            producer.flush();
        }
        for (Thread c : consumers) {
            try {
                c.join(TimeUnit.MINUTES.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        if (failure.get() != null) {
            throw new IllegalStateException("the baseline failed", failure.get());
        }
        double seconds = (lastConsumedNanos[0] - started) / 1e9;
        double cpu = ProcessMeter.cpuSeconds(ProcessHandle.current().pid(), false) - cpuBefore;
        try (Admin admin = admin()) {
            admin.deleteTopics(topics.keySet()).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // left behind on a broker that is about to stop: harmless
        }
        synchronized (consumed) {
            return new Result(loads, produced, consumed[0], bytes, seconds, expected / seconds, cpu);
        }
    }

    private void consume(String topic, String group, long count, CountDownLatch assigned, long[] consumed,
            long[] lastConsumedNanos, AtomicReference<Throwable> failure) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            boolean counted = false;
            long mine = 0;
            while (mine < count && System.nanoTime() < deadline && failure.get() == null) {
                var records = consumer.poll(Duration.ofMillis(100));
                if (!counted && !consumer.assignment().isEmpty()) {
                    counted = true;
                    assigned.countDown();
                }
                if (!records.isEmpty()) {
                    mine += records.count();
                    consumer.commitAsync();
                    synchronized (consumed) {
                        consumed[0] += records.count();
                        lastConsumedNanos[0] = Math.max(lastConsumedNanos[0], System.nanoTime());
                    }
                }
            }
            consumer.commitSync();
            if (mine < count) {
                failure.compareAndSet(null, new IllegalStateException(group + " consumed " + mine + " of " + count));
            }
        } catch (RuntimeException e) {
            failure.compareAndSet(null, e);
        }
    }

    private static void await(CountDownLatch latch, AtomicReference<Throwable> failure) {
        try {
            if (!latch.await(2, TimeUnit.MINUTES) || failure.get() != null) {
                throw new IllegalStateException("the baseline consumers were not assigned their partitions",
                        failure.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The average key + value size of up to {@code limit} records spread over the ranges (one topic's partitions). */
    private double averageSize(Map<TopicPartition, long[]> ranges, int limit) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        long total = 0, n = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            long perPartition = Math.max(1, limit / Math.max(1, ranges.size()));
            Map<TopicPartition, Long> until = new HashMap<>();
            ranges.forEach((tp, range) -> {
                if (range[1] > range[0]) {
                    until.put(tp, Math.min(range[1], range[0] + perPartition));
                }
            });
            consumer.assign(until.keySet());
            until.keySet().forEach(tp -> consumer.seek(tp, ranges.get(tp)[0]));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!until.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    Long end = until.get(tp);
                    if (end == null || r.offset() >= end) {
                        continue;
                    }
                    total += Math.max(0, r.serializedKeySize()) + Math.max(0, r.serializedValueSize());
                    n++;
                    if (r.offset() + 1 >= end) {
                        until.remove(tp);
                        consumer.pause(List.of(tp));
                    }
                }
            }
        }
        return n == 0 ? 0 : total / (double) n;
    }

    /** How many consumer groups have committed offsets on each pipeline topic. */
    private Map<String, Integer> consumerGroupsByTopic() {
        Map<String, Integer> groups = new HashMap<>();
        try (Admin admin = admin()) {
            Collection<ConsumerGroupListing> listings = admin.listConsumerGroups().all().get(30, TimeUnit.SECONDS);
            for (ConsumerGroupListing g : listings) {
                if (g.groupId().startsWith("bench-") || g.groupId().startsWith("topic-client-")) {
                    continue;
                }
                var offsets = admin.listConsumerGroupOffsets(g.groupId()).partitionsToOffsetAndMetadata()
                        .get(30, TimeUnit.SECONDS);
                offsets.keySet().stream().map(TopicPartition::topic).distinct()
                        .filter(PIPELINE_TOPICS::contains).forEach(t -> groups.merge(t, 1, Integer::sum));
            }
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot list the consumer groups", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        return groups;
    }

    private KafkaProducer<String, byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    private Admin admin() {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        return Admin.create(p);
    }
}
