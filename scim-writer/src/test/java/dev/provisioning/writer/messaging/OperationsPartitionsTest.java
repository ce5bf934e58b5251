package dev.provisioning.writer.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.Uni;

import dev.provisioning.events.Topics;
import dev.provisioning.writer.Waits;
import dev.provisioning.writer.messaging.OperationsPartitions.Ownership;

/**
 * Released deferred operations go straight into their lane only on a replica that holds every partition of
 * {@code provisioning.operations}: with two replicas sharing the partitions, or once a rebalance took some away, they
 * go back through Kafka to the replica that holds their object's partition. A rebalance hands partitions over only
 * once the operations running under them finished, and those that had not started are left to the new owner: an
 * object's operations never run on two replicas at once.
 */
class OperationsPartitionsTest {

    private final MockConsumer<String, String> consumer = new MockConsumer<>(OffsetResetStrategy.EARLIEST);
    private final OperationsPartitions partitions = new OperationsPartitions(Duration.ofMinutes(10),
            Duration.ofMinutes(10));

    OperationsPartitionsTest() {
        consumer.updatePartitions(Topics.OPERATIONS, List.of(partition(0), partition(1), partition(2)));
    }

    @Test
    void aReplicaHoldingEveryPartitionReleasesIntoItsLanes() {
        assertThat(partitions.holdingAll()).as("before the first assignment").isEmpty();

        assign(0, 1, 2);

        assertThat(partitions.holdingAll()).isPresent();
    }

    @Test
    void aReplicaSharingThePartitionsRepublishes() {
        assign(0, 2);

        assertThat(partitions.holdingAll()).isEmpty();
    }

    @Test
    void aRebalanceThatTakesPartitionsAwayEndsReleasingIntoTheLanes() {
        assign(0, 1, 2);

        partitions.onPartitionsRevoked(consumer, Set.of(tp(1)));
        assertThat(partitions.holdingAll()).as("from the revocation on").isEmpty();

        assign(0, 2);
        assertThat(partitions.holdingAll()).isEmpty();

        assign(0, 1, 2);
        partitions.onPartitionsLost(consumer, Set.of(tp(0), tp(1), tp(2)));
        assertThat(partitions.holdingAll()).as("partitions lost").isEmpty();
    }

    @Test
    void aRevocationHandsItsPartitionsOverOnlyOnceTheOperationsRunningUnderThemFinished() throws InterruptedException {
        assign(0, 1, 2);
        Ownership released = partitions.holdingAll().orElseThrow();
        Ownership ofPartition1 = partitions.of(tp(1));
        Ownership ofPartition2 = partitions.of(tp(2));
        assertThat(partitions.start(released)).as("a released operation admitted straight into its lane").isTrue();
        assertThat(partitions.start(ofPartition1)).isTrue();
        assertThat(partitions.start(ofPartition2)).isTrue();
        List<String> events = Collections.synchronizedList(new ArrayList<>());

        // a cooperative rebalance takes partition 1 to a replica that just started
        Thread rebalance = new Thread(() -> {
            partitions.onPartitionsRevoked(consumer, Set.of(tp(1)));
            events.add("partition 1 handed over");
        });
        rebalance.start();
        await().atMost(Waits.OUTCOME).until(() -> partitions.handingOver() || !rebalance.isAlive());
        events.add("released operation finished");
        partitions.finish(released);
        events.add("operation of partition 1 finished");
        partitions.finish(ofPartition1);
        rebalance.join();

        assertThat(events).as("the new owner may consume the objects' later operations only after these finished")
                .containsExactly("released operation finished", "operation of partition 1 finished",
                        "partition 1 handed over");
        partitions.finish(ofPartition2);
    }

    @Test
    void anOperationNotStartedBeforeItsPartitionWasRevokedIsLeftToTheNewOwner() {
        assign(0, 1, 2);
        Ownership released = partitions.holdingAll().orElseThrow();
        Ownership ofPartition0 = partitions.of(tp(0));
        Ownership ofPartition1 = partitions.of(tp(1));

        partitions.onPartitionsRevoked(consumer, Set.of(tp(1)));
        assign(0, 2);

        assertThat(partitions.start(released)).as("a released operation waiting in its lane: republished").isFalse();
        assertThat(partitions.start(ofPartition1)).as("a record of the revoked partition: consumed again there")
                .isFalse();
        assertThat(partitions.start(ofPartition0)).as("a record of a partition still held").isTrue();
        partitions.finish(ofPartition0);

        assign(0, 1, 2);
        assertThat(partitions.start(ofPartition1)).as("taken before the partition came back: consumed again here")
                .isFalse();
        assertThat(partitions.start(partitions.of(tp(1)))).as("taken after it came back").isTrue();
        assertThat(partitions.start(released)).as("released before a revocation").isFalse();
        assertThat(partitions.start(partitions.holdingAll().orElseThrow())).as("released after it").isTrue();
    }

    @Test
    void aReplicaReleasesTheDeferredOperationsOfThePartitionsItHoldsUnderTheirOwnership() {
        assertThat(partitions.held()).as("before the first assignment").isEmpty();
        assertThat(partitions.partitionOf("job/u1")).as("before the first assignment").isNull();
        assign(0, 2);
        Map<Integer, Ownership> held = partitions.held();
        assertThat(held).containsOnlyKeys(0, 2);
        assertThat(held.get(2)).isEqualTo(partitions.of(tp(2)));

        partitions.onPartitionsRevoked(consumer, Set.of(tp(2)));
        assertThat(partitions.held()).as("from the revocation on").containsOnlyKeys(0);
        assertThat(partitions.start(held.get(2))).as("released before the revocation: republished to the new owner")
                .isFalse();
        assertThat(partitions.start(held.get(0))).isTrue();
        partitions.finish(held.get(0));
    }

    @Test
    void aDeferredOperationBelongsToItsPartitionsOwnerAndOneWithoutAPartitionToTheReplicaHoldingEveryPartition() {
        assertThat(partitions.owners().none()).as("before the first assignment").isTrue();
        assertThat(partitions.owners().of(null)).as("before the first assignment").isEmpty();

        assign(0, 1, 2);
        OperationsPartitions.Owners all = partitions.owners();
        assertThat(all.of(1)).as("of a partition held").contains(partitions.of(tp(1)));
        assertThat(all.of(null)).as("deferred before V5, on the replica holding every partition")
                .isEqualTo(partitions.holdingAll());
        assertThat(partitions.start(all.of(null).orElseThrow())).isTrue();
        partitions.finish(all.of(null).orElseThrow());

        partitions.onPartitionsRevoked(consumer, Set.of(tp(1)));
        assign(0, 2);
        OperationsPartitions.Owners some = partitions.owners();
        assertThat(some.none()).isFalse();
        assertThat(some.of(0)).contains(partitions.of(tp(0)));
        assertThat(some.of(2)).contains(partitions.of(tp(2)));
        assertThat(some.of(1)).as("of a partition another replica holds: through Kafka").isEmpty();
        assertThat(some.of(null)).as("deferred before V5, on a replica holding some partitions: through Kafka")
                .isEmpty();
        assertThat(partitions.start(all.of(1).orElseThrow())).as("owned before the revocation").isFalse();
        assertThat(partitions.start(all.of(null).orElseThrow())).as("owned before the revocation").isFalse();
    }

    @Test
    void aDeferredOperationWhosePartitionIsNoLongerItsKeysSinceTheTopicGrewGoesToTheOwnerOfItsKeysPartition() {
        // deferred on partition 1 of 3; with 6 partitions its key's records go to another partition
        String moved = java.util.stream.IntStream.iterate(0, i -> i + 1).mapToObj(i -> "job/u" + i)
                .filter(k -> OperationsPartitions.partitionOf(k, 3) == 1 && OperationsPartitions.partitionOf(k, 6) != 1)
                .findFirst().orElseThrow();
        String stayed = java.util.stream.IntStream.iterate(0, i -> i + 1).mapToObj(i -> "job/s" + i)
                .filter(k -> OperationsPartitions.partitionOf(k, 3) == 1 && OperationsPartitions.partitionOf(k, 6) == 1)
                .findFirst().orElseThrow();
        assign(0, 1, 2);
        assertThat(partitions.owners().of(1, moved)).as("3 partitions: its partition's").contains(partitions.of(tp(1)));

        consumer.updatePartitions(Topics.OPERATIONS,
                List.of(partition(0), partition(1), partition(2), partition(3), partition(4), partition(5)));
        assign(0, 1, 2);
        OperationsPartitions.Owners some = partitions.owners();
        assertThat(some.of(1, stayed)).as("still its key's partition: released here").contains(partitions.of(tp(1)));
        assertThat(some.of(1, moved)).as("its key's records now go to another replica: through Kafka on its key")
                .isEmpty();

        assign(0, 1, 2, 3, 4, 5);
        assertThat(partitions.owners().of(1, moved)).as("on the replica holding every partition, into its lane")
                .isEqualTo(partitions.holdingAll());
    }

    @Test
    void aCleanShutdownWaitsForTheOperationsRunningOnlyUntilTheyFinish() throws InterruptedException {
        assign(0, 1, 2);
        Ownership running = partitions.of(tp(1));
        assertThat(partitions.start(running)).isTrue();
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        Thread shutdown = new Thread(() -> {
            partitions.stop();
            events.add("stopped");
        });
        shutdown.start();
        await().atMost(Waits.OUTCOME).until(() -> partitions.handingOver() || !shutdown.isAlive());
        assertThat(partitions.start(partitions.of(tp(0)))).as("no operation starts once the shutdown began").isFalse();
        assertThat(partitions.held()).as("nothing is released any more").isEmpty();
        events.add("operation finished");
        partitions.finish(running);
        shutdown.join();

        assertThat(events).as("the shutdown went on as soon as the operation finished, not after its grace (10 min)")
                .containsExactly("operation finished", "stopped");
    }

    @Test
    void aCleanShutdownAbandonsTheOperationsStillRunningAfterItsGraceAndHandsThePartitionsOverAtOnce()
            throws InterruptedException {
        // the revocation would wait up to 10 minutes for them; the shutdown lets them run a moment only
        OperationsPartitions stopping = new OperationsPartitions(Duration.ofMinutes(10), Duration.ofMillis(1));
        assignTo(stopping, 0, 1, 2);
        Ownership inRetries = stopping.of(tp(1));
        assertThat(stopping.start(inRetries)).isTrue();
        // what OperationsConsumer does: the work runs until it completes or the shutdown abandons it
        Uni.combine().any().of(Uni.createFrom().nothing(), stopping.abandoned()).replaceWithVoid()
                .eventually(() -> stopping.finish(inRetries)).subscribe().with(ignored -> {
                });

        stopping.stop();
        Thread revocation = new Thread(() -> stopping.onPartitionsRevoked(consumer, Set.of(tp(0), tp(1), tp(2))));
        revocation.start();

        await().atMost(Waits.OUTCOME).until(() -> !revocation.isAlive());
        assertThat(stopping.start(stopping.of(tp(1)))).isFalse();
    }

    @Test
    void aKeysPartitionIsTheOneTheProducerSendsItTo() {
        assign(0, 1, 2);
        for (String key : List.of("job-1/u1", "job-1/u2", "job-2/g-7", "a/b")) {
            assertThat(partitions.partitionOf(key)).as(key).isEqualTo(
                    BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), 3));
        }
    }

    private void assign(int... numbers) {
        assignTo(partitions, numbers);
    }

    private void assignTo(OperationsPartitions listener, int... numbers) {
        List<TopicPartition> assigned = java.util.Arrays.stream(numbers).mapToObj(OperationsPartitionsTest::tp)
                .toList();
        consumer.assign(assigned);
        consumer.updateBeginningOffsets(Map.of());
        listener.onPartitionsAssigned(consumer, assigned);
    }

    private static TopicPartition tp(int partition) {
        return new TopicPartition(Topics.OPERATIONS, partition);
    }

    private static PartitionInfo partition(int partition) {
        return new PartitionInfo(Topics.OPERATIONS, partition, null, null, null);
    }
}
