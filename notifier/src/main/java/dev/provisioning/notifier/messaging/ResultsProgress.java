package dev.provisioning.notifier.messaging;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;

/**
 * Whether this replica has caught up with {@code provisioning.results}: every partition it was assigned has been read
 * up to the end offset it had when it was assigned. Until then a digest could miss failures that were received before
 * a restart but not yet stored (after a crash the group may take a session timeout to hand the partitions back), so
 * the digest sender waits for it.
 * <p>
 * It only sees this replica's partitions: with several replicas, another replica's catch-up is not waited for.
 */
@ApplicationScoped
@Identifier(ResultsProgress.NAME)
public class ResultsProgress implements KafkaConsumerRebalanceListener {

    /** The name in {@code mp.messaging.incoming.results.consumer-rebalance-listener.name}. */
    public static final String NAME = "notifier-results-progress";

    private static final Logger LOG = Logger.getLogger(ResultsProgress.class);

    /** Partitions still being read, with the offset they must reach. */
    private final Map<TopicPartition, Long> behind = new ConcurrentHashMap<>();
    private volatile boolean assigned;

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        for (TopicPartition tp : partitions) {
            long target = end.getOrDefault(tp, 0L);
            if (consumer.position(tp) < target) {
                behind.put(tp, target);
            }
        }
        assigned = true;
        LOG.infof("results partitions assigned %s; catching up on %s", partitions, behind);
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        partitions.forEach(behind::remove);
    }

    @Override
    public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        partitions.forEach(behind::remove);
    }

    /** Records that the record at {@code offset} was handled (stored, skipped or dead-lettered). */
    public void handled(String topic, int partition, long offset) {
        behind.computeIfPresent(new TopicPartition(topic, partition),
                (tp, target) -> offset + 1 >= target ? null : target);
    }

    /** True once partitions were assigned and all of them were read up to their end offset at assignment. */
    public boolean caughtUp() {
        return assigned && behind.isEmpty();
    }
}
