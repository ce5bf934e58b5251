package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.common.annotation.Identifier;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.druva.DruvaUser;
import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.Topics;
import dev.provisioning.writer.Waits;
import dev.provisioning.writer.config.WriterMeters;
import dev.provisioning.writer.escrow.EscrowState;
import dev.provisioning.writer.escrow.Escrowed;
import dev.provisioning.writer.messaging.Channels;
import dev.provisioning.writer.messaging.OperationsPartitions;
import dev.provisioning.writer.persistence.EscrowStore;
import dev.provisioning.writer.throughput.TenantGates;

/**
 * A second replica joins while this one, holding every partition of {@code provisioning.operations}, runs released
 * deferred operations straight in a lane (issue 13's ninth round). The tenant's Druva holds every request, so at the
 * rebalance three operations are in this replica's lane: {@code y0}, a record from Kafka creating user y, running;
 * {@code x}, a released operation creating user x, running; {@code y1}, a released later operation of user y, waiting
 * behind {@code y0}. The second replica (a plain consumer of the writer's group) gets its partitions only after Druva
 * answered the two running ones: before, it got them at once, free to run later operations of x or y while this
 * replica was still carrying out earlier ones. {@code y1}, not started at the rebalance, goes back through Kafka on its
 * key ({@code escrow-retry} header) instead of running here. When the second replica leaves, every operation has its
 * Success, each user was created once, and y has y1's name: nothing lost, nothing done twice, the order kept.
 *
 * <p>
 * With two replicas sharing the partitions, each releases the deferred operations of its own partitions only, straight
 * into its lane (issue 13's tenth round): before, each claimed any of the tenant's rows and republished them through
 * Kafka, reserving their rooms on itself while half of them went to the other replica (about 35,000 releases for a
 * 30,000-user sync). One deferred before migration V5 (no partition) belongs to no replica that holds only some
 * partitions: it goes through Kafka on its key, once.
 */
@QuarkusTest
class RebalanceDuringReleaseTest {

    /** The partitions of the test broker's topics ({@code LocalStackTestResource}). */
    private static final int PARTITIONS = Integer.getInteger("provisioning.test.partitions", 4);

    @Inject
    EscrowStore escrows;

    @Inject
    @Identifier(OperationsPartitions.NAME)
    OperationsPartitions partitions;

    @Inject
    MeterRegistry registry;

    @Test
    void aReplicaJoiningGetsItsPartitionsOnlyOnceTheOperationsRunningHereFinished() throws InterruptedException {
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            druva.hold();
            String jobId = unique("job-rebalance");
            KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl()));
            ScimOperation y0 = Fixtures.upsert(jobId, "y", Fixtures.user(jobId + "-y", "First", "Y"));
            KafkaTopics.publishOperation(y0);
            await().atMost(Waits.OUTCOME).until(() -> druva.parked() >= 1);

            // deferred before (by another replica, or before a restart): the release timer brings them back
            ScimOperation x = Fixtures.upsert(jobId, "x", Fixtures.user(jobId + "-x", "Only", "X"));
            ScimOperation y1 = Fixtures.upsert(jobId, "y", Fixtures.user(jobId + "-y", "Later", "Y"));
            double inLaneBefore = released(WriterMeters.RELEASED_TO_LANE);
            String tenant = TenantGates.tenantKey(druva.baseUrl());
            deferred(x, tenant, null);
            deferred(y1, tenant, null);
            // admitted into the lane: x started (its lane has room), y1 waits behind y0
            await().atMost(Waits.OUTCOME).until(() -> released(WriterMeters.RELEASED_TO_LANE) - inLaneBefore >= 2);

            List<String> events = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean assigned = new AtomicBoolean();
            AtomicBoolean stop = new AtomicBoolean();
            Thread secondReplica = new Thread(() -> joinGroup(events, assigned, stop), "second-replica");
            secondReplica.start();
            try {
                await().atMost(Waits.OUTCOME).until(() -> assigned.get() || partitions.handingOver());
                events.add("Druva answers");
                druva.release();
                await().atMost(Waits.OUTCOME).until(assigned::get);

                assertThat(events).as("the second replica starts consuming after the running operations finished")
                        .containsExactly("Druva answers", "second replica assigned");
                KafkaTopics.awaitRecord(Topics.OPERATIONS, r -> r.key().equals(y1.key())
                        && r.headers().lastHeader(Channels.ESCROW_RETRY_HEADER) != null
                        && r.value().contains(y1.operationId()));
            } finally {
                stop.set(true);
                secondReplica.join();
            }

            Map<String, ProvisioningResult> results = KafkaTopics.awaitFinalResults(
                    List.of(Fixtures.resultId(y0), Fixtures.resultId(x), Fixtures.resultId(y1)), Waits.OUTCOME);
            assertThat(results.values()).extracting(ProvisioningResult::status)
                    .containsOnly(ProvisioningStatus.Success);
            assertThat(druva.users()).extracting(DruvaUser::userName)
                    .containsExactlyInAnyOrder(jobId + "-x@example.com", jobId + "-y@example.com");
            assertThat(druva.users()).filteredOn(u -> u.userName().startsWith(jobId + "-y"))
                    .extracting(DruvaUser::givenName).containsExactly("Later");
            assertThat(druva.requests()).filteredOn(r -> r.method().equals("POST") && r.path().endsWith("/Users"))
                    .as("one create per user").hasSize(2);
        }
    }

    @Test
    void eachReplicaReleasesTheDeferredOperationsOfItsOwnPartitionsOnceIntoItsLane() throws InterruptedException {
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            String jobId = unique("job-owners");
            KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl()));
            List<String> events = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean assigned = new AtomicBoolean();
            AtomicBoolean stop = new AtomicBoolean();
            Thread secondReplica = new Thread(() -> joinGroup(events, assigned, stop), "second-replica");
            secondReplica.start();
            List<ScimOperation> here = new ArrayList<>();
            List<ScimOperation> there = new ArrayList<>();
            double throughKafkaBefore = released(WriterMeters.RELEASED_THROUGH_KAFKA);
            try {
                await().atMost(Waits.OUTCOME).until(() -> assigned.get() && !partitions.held().isEmpty()
                        && partitions.holdingAll().isEmpty());
                Set<Integer> mine = partitions.held().keySet();
                String tenant = TenantGates.tenantKey(druva.baseUrl());
                // deferred by the replica that holds each key's partition (as the lanes defer), due now
                for (int i = 0; here.size() < 3 || there.size() < 3; i++) {
                    ScimOperation op = Fixtures.upsert(jobId, "u" + i, Fixtures.user(jobId + "-" + i, "Owned", "U"));
                    int partition = OperationsPartitions.partitionOf(op.key(), PARTITIONS);
                    (mine.contains(partition) ? here : there).add(op);
                    deferred(op, tenant, partition);
                }
                // deferred before V5 (no partition): not this replica's, which holds only some partitions, so it goes
                // through Kafka on its key (one that this replica consumes, so the record is not left to the other)
                ScimOperation unplaced = IntStream.iterate(0, i -> i + 1)
                        .mapToObj(
                                i -> Fixtures.upsert(jobId, "v" + i, Fixtures.user(jobId + "-v" + i, "Unplaced", "V")))
                        .filter(op -> mine.contains(OperationsPartitions.partitionOf(op.key(), PARTITIONS)))
                        .findFirst().orElseThrow();
                here.add(unplaced);
                deferred(unplaced, tenant, null);

                Map<String, ProvisioningResult> done = KafkaTopics.awaitFinalResults(
                        here.stream().map(Fixtures::resultId).toList(), Waits.OUTCOME);
                assertThat(done.values()).extracting(ProvisioningResult::status)
                        .containsOnly(ProvisioningStatus.Success);
                assertThat(there).as("the other replica's deferred operations wait for it, not claimed here")
                        .allSatisfy(op -> assertThat(escrows.find(escrowId(op)).await().atMost(Waits.OUTCOME))
                                .hasValueSatisfying(row -> assertThat(row.nextAttemptAt()).isBefore(Instant.now())));
                assertThat(KafkaTopics.readAll(Topics.OPERATIONS)).as("released operations republished")
                        .filteredOn(r -> r.key().startsWith(jobId + "/"))
                        .filteredOn(r -> r.headers().lastHeader(Channels.ESCROW_RETRY_HEADER) != null)
                        .extracting(r -> r.key()).containsExactly(unplaced.key());
            } finally {
                stop.set(true);
                secondReplica.join();
            }

            // the other replica left: its partitions, and their deferred operations, are this one's now
            List<ScimOperation> all = new ArrayList<>(here);
            all.addAll(there);
            Map<String, ProvisioningResult> results = KafkaTopics.awaitFinalResults(
                    all.stream().map(Fixtures::resultId).toList(), Waits.OUTCOME);
            assertThat(results.values()).extracting(ProvisioningResult::status)
                    .containsOnly(ProvisioningStatus.Success);
            assertThat(druva.requests()).filteredOn(r -> r.method().equals("POST") && r.path().endsWith("/Users"))
                    .as("one create per user").hasSize(all.size());
            assertThat(released(WriterMeters.RELEASED_THROUGH_KAFKA) - throughKafkaBefore).as("released through Kafka")
                    .isEqualTo(1);
        }
    }

    /** A plain consumer of the writer's group on {@code provisioning.operations}: it consumes nothing, commits nothing. */
    private static void joinGroup(List<String> events, AtomicBoolean assigned, AtomicBoolean stop) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTopics.bootstrap());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "scim-writer");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(Topics.OPERATIONS), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    if (!assigned.get()) {
                        events.add("second replica assigned");
                        assigned.set(true);
                    }
                }

                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }
            });
            while (!stop.get()) {
                consumer.poll(Duration.ofMillis(100));
                // what it takes is not processed: it pauses, so its position stays at the group's committed offsets
                consumer.pause(consumer.assignment());
            }
        }
    }

    /**
     * Stores the operation as deferred in its tenant's lane, due now, as the writer does when the lane is full.
     *
     * @param partition its key's partition of {@code provisioning.operations}; null: not known (deferred before V5)
     */
    private void deferred(ScimOperation op, String tenant, Integer partition) {
        Instant now = Instant.now();
        escrows.save(new Escrowed(escrowId(op), op.jobId(), op.objectId(), op.operationId(), Json.write(op), 0, now,
                now, null, null, EscrowState.DEFERRED, null, op.createdAt(), null, null, tenant, partition)).await()
                .atMost(Waits.OUTCOME);
    }

    private static String escrowId(ScimOperation op) {
        return Escrowed.idOf(op.jobId(), op.objectType().name(), op.objectId());
    }

    private double released(String path) {
        Counter counter = registry.find(WriterMeters.DEFERRED_RELEASED).tag(WriterMeters.RELEASE_PATH, path)
                .counter();
        return counter == null ? 0 : counter.count();
    }
}
