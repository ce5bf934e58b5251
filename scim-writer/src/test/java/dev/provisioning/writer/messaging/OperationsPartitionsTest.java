package dev.provisioning.writer.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import dev.provisioning.events.Topics;

/**
 * Released deferred operations go straight into their lane only on a replica that holds every partition of
 * {@code provisioning.operations}: with two replicas sharing the partitions, or once a rebalance took some away, they
 * go back through Kafka to the replica that holds their object's partition.
 */
class OperationsPartitionsTest {

    private final MockConsumer<String, String> consumer = new MockConsumer<>(OffsetResetStrategy.EARLIEST);
    private final OperationsPartitions partitions = new OperationsPartitions();

    OperationsPartitionsTest() {
        consumer.updatePartitions(Topics.OPERATIONS, List.of(partition(0), partition(1), partition(2)));
    }

    @Test
    void aReplicaHoldingEveryPartitionReleasesIntoItsLanes() {
        assertThat(partitions.holdsAll()).as("before the first assignment").isFalse();

        assign(0, 1, 2);

        assertThat(partitions.holdsAll()).isTrue();
    }

    @Test
    void aReplicaSharingThePartitionsRepublishes() {
        assign(0, 2);

        assertThat(partitions.holdsAll()).isFalse();
    }

    @Test
    void aRebalanceThatTakesPartitionsAwayEndsReleasingIntoTheLanes() {
        assign(0, 1, 2);

        partitions.onPartitionsRevoked(consumer, Set.of(tp(1)));
        assertThat(partitions.holdsAll()).as("from the revocation on").isFalse();

        assign(0, 2);
        assertThat(partitions.holdsAll()).isFalse();

        assign(0, 1, 2);
        partitions.onPartitionsLost(consumer, Set.of(tp(0), tp(1), tp(2)));
        assertThat(partitions.holdsAll()).as("partitions lost").isFalse();
    }

    private void assign(int... numbers) {
        List<TopicPartition> assigned = java.util.Arrays.stream(numbers).mapToObj(OperationsPartitionsTest::tp)
                .toList();
        consumer.assign(assigned);
        consumer.updateBeginningOffsets(Map.of());
        partitions.onPartitionsAssigned(consumer, assigned);
    }

    private static TopicPartition tp(int partition) {
        return new TopicPartition(Topics.OPERATIONS, partition);
    }

    private static PartitionInfo partition(int partition) {
        return new PartitionInfo(Topics.OPERATIONS, partition, null, null, null);
    }
}
