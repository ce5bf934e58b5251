package dev.provisioning.writer.messaging;

import java.util.Collection;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;

import dev.provisioning.events.Topics;

/**
 * Whether this replica holds every partition of {@code provisioning.operations} (issue 13): then every object's
 * operations come to this replica, and a released deferred operation may go straight into its tenant's lane here
 * ({@link EscrowScheduler}) instead of travelling through Kafka to the replica that holds its key's partition. With
 * several replicas (or before the first assignment, or from a revocation until the next assignment) it is false, and
 * released operations are republished on their key as before, so an object's operations never run on two replicas at
 * once.
 *
 * <p>
 * Told by the operations channel's consumer ({@code mp.messaging.incoming.operations.consumer-rebalance-listener.name}
 * = {@value #NAME}) on its polling thread; read from any thread.
 */
@ApplicationScoped
@Identifier(OperationsPartitions.NAME)
public class OperationsPartitions implements KafkaConsumerRebalanceListener {

    /** The name in {@code mp.messaging.incoming.operations.consumer-rebalance-listener.name}. */
    public static final String NAME = "scim-writer-operations-partitions";

    private static final Logger LOG = Logger.getLogger(OperationsPartitions.class);

    private volatile boolean holdsAll;

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        // the whole assignment, not only the partitions added (a cooperative rebalance adds some)
        long held = consumer.assignment().stream().filter(tp -> Topics.OPERATIONS.equals(tp.topic())).count();
        int all = consumer.partitionsFor(Topics.OPERATIONS).size();
        holdsAll = all > 0 && held == all;
        LOG.infof("%s: %d of %d partitions held; released deferred operations go %s", Topics.OPERATIONS, held, all,
                holdsAll ? "straight into their tenant's lane" : "back through Kafka");
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (!partitions.isEmpty()) {
            holdsAll = false;
        }
    }

    @Override
    public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        holdsAll = false;
    }

    /** Whether this replica holds every partition of {@code provisioning.operations} now. */
    public boolean holdsAll() {
        return holdsAll;
    }
}
