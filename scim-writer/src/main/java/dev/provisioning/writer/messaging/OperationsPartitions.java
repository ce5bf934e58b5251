package dev.provisioning.writer.messaging;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;

import dev.provisioning.events.Topics;
import dev.provisioning.telemetry.Plural;
import dev.provisioning.writer.config.WriterConfig;
import dev.provisioning.writer.config.WriterStop;

/**
 * Which partitions of {@code provisioning.operations} this replica holds, and the operations that run under that
 * ownership, so that an object's operations never run on two replicas at once (issue 13, ninth round).
 *
 * <ul>
 * <li>Which partitions this replica holds ({@link #held}, {@link #holdingAll} when it holds every one): a deferred
 * operation is released, straight into its tenant's lane ({@link EscrowScheduler}), by the replica that holds its
 * key's partition ({@link #partitionOf}, recorded in its {@code escrow} row), the one that runs its object's other
 * operations (issue 13's tenth round). Before, with several replicas, any replica released any of them through Kafka
 * and reserved their rooms on itself. Before the first assignment, and for the revoked partitions until the next
 * assignment, this replica releases none of them.</li>
 * <li>Each operation starts under an {@link Ownership} taken when it came: its record's partition, or, for a
 * released operation admitted straight into a lane, its row's partition (every partition on a replica that holds
 * them all). It {@linkplain #start starts} only if no revocation took that ownership away since; else it is left to
 * the new owner (the record, not committed, is consumed there again; a released operation is republished on its
 * key).</li>
 * <li>A revocation ({@link #onPartitionsRevoked}) hands its partitions over only when the operations running under
 * them are {@linkplain #finish finished}, waiting at most {@code writer.lanes.release-lease} (30 s): else the new
 * owner could run a later operation of an object (or the same one again) while this replica is still carrying out
 * an earlier one. Before (issue 13's eighth round), a released operation running in a lane went on while a second
 * replica that had just joined consumed the next operation of its object. The wait runs on the consumer's polling
 * thread, after SmallRye's {@code throttled} commit strategy committed the revoked partitions below their oldest
 * record not acked and forgot them: the acks of the records finished meanwhile are dropped
 * ({@code acknowledgementFromRevokedTopicPartition}), so the new owner consumes those records again and
 * {@code processed_operation} answers them with their recorded result, without a request (at-least-once). An
 * operation still running after the wait (a Druva request in its retry budget) is logged; the group goes on without
 * it rather than exceed the rebalance timeout ({@code max.poll.interval.ms}).</li>
 * </ul>
 * <p>
 * A clean shutdown ({@link #stop}, on Quarkus's {@code ShutdownEvent} at {@link WriterStop#OPERATIONS}, before the
 * connector closes the consumer and so revokes every partition) starts no operation any more, lets those running finish
 * for {@code writer.lanes.stop-grace} (2 s, less if the stop's deadline comes first) and then abandons the others ({@link #abandoned}): they stop as in a crash, so the revocation that follows
 * hands the partitions over at once instead of waiting up to {@code writer.lanes.release-lease} (30 s) for operations
 * in their retry budget, and their records, not acked, are consumed again by the new owner (at-least-once).
 *
 * <p>
 * Told by the operations channel's consumer ({@code mp.messaging.incoming.operations.consumer-rebalance-listener.name}
 * = {@value #NAME}) on its polling thread; read from any thread. SmallRye calls {@link #onPartitionsRevoked} for lost
 * partitions too (Kafka's default {@code onPartitionsLost}).
 */
@ApplicationScoped
@Identifier(OperationsPartitions.NAME)
public class OperationsPartitions implements KafkaConsumerRebalanceListener {

    /** The name in {@code mp.messaging.incoming.operations.consumer-rebalance-listener.name}. */
    public static final String NAME = "scim-writer-operations-partitions";

    private static final Logger LOG = Logger.getLogger(OperationsPartitions.class);

    /**
     * What an operation runs under: the partition its record came from, or every partition (a released operation
     * admitted straight into a lane: {@code partition} null), as held when it came ({@code revocations} then).
     */
    public record Ownership(TopicPartition partition, long revocations) {
    }

    /**
     * Who owns the deferred operations of each partition on this replica, as held at one moment ({@link #owners}): a
     * deferred operation's owner is its partition's owner, and one deferred before its partition was recorded
     * (migration V5, {@code operations_partition} null) belongs to the replica that holds every partition, if any. So
     * does one whose recorded partition is no longer its key's ({@link #of(Integer, String)}): the topic got more
     * partitions since it was deferred.
     *
     * @param partitions the ownership of each partition held, by partition number
     * @param all the ownership of every partition, when this replica holds them all
     * @param partitionCount the partitions of {@code provisioning.operations} at the last assignment; 0 before it
     */
    public record Owners(Map<Integer, Ownership> partitions, Optional<Ownership> all, int partitionCount) {

        /**
         * The ownership a deferred operation of this key is released under here, straight into its lane. Its recorded
         * partition counts only while it is still its key's: after the topic got more partitions, the key's new
         * records go to another partition, whose owner runs them; were the old partition's owner to run the deferred
         * operation meanwhile, two replicas could carry out the object's operations at once, the older one last. So
         * such a row goes as one recorded before V5: straight into the lane on a replica that holds every partition,
         * else through Kafka on its key, to the owner of its key's partition.
         *
         * @param partition its {@code escrow} row's partition; null: recorded before V5
         * @param key its key, {@code jobId/objectId}
         * @return empty when this replica does not own it (it goes through Kafka, on its key, to its owner)
         */
        public Optional<Ownership> of(Integer partition, String key) {
            boolean stillItsKeys = partition != null && partitionCount > 0
                    && partition.intValue() == partitionOf(key, partitionCount);
            return of(stillItsKeys ? partition : null);
        }

        /**
         * The ownership a deferred operation of this partition is released under here, straight into its lane.
         *
         * @param partition its {@code escrow} row's partition; null: recorded before V5
         * @return empty when this replica does not own it (it goes through Kafka, on its key, to its owner)
         */
        public Optional<Ownership> of(Integer partition) {
            return partition == null ? all : Optional.ofNullable(partitions.get(partition));
        }

        /** Whether this replica owns no partition (before the first assignment, or shutting down). */
        public boolean none() {
            return partitions.isEmpty();
        }
    }

    private final Duration handoverWait;
    private final Duration stopGrace;
    /** The writer's stop, for its deadline; null in a test that stops by itself ({@link #stop()}). */
    private final WriterStop writerStop;
    /** One stage per operation running ({@link #abandoned}), completed when a clean shutdown abandons them. */
    private final Set<CompletableFuture<Void>> abandonable = ConcurrentHashMap.newKeySet();
    /** A clean shutdown abandoned the operations still running ({@link #stop}). */
    private volatile boolean abandonedAll;
    /** Guarded by this: a clean shutdown began: no operation starts any more. */
    private boolean stopping;
    /** Guarded by this: revocations of each partition so far. */
    private final Map<TopicPartition, Long> revokedTimes = new HashMap<>();
    /** Guarded by this: operations running under each partition. */
    private final Map<TopicPartition, Integer> running = new HashMap<>();
    /** Guarded by this: revocations of any partition so far. */
    private long revocations;
    /** Guarded by this: {@link #revocations} when this replica came to hold every partition, or -1 if it does not. */
    private long allHeldSince = -1;
    /** Guarded by this: released operations running straight in a lane. */
    private int runningReleased;
    /** Guarded by this: revocations waiting for operations to finish now. */
    private int handingOver;
    /** Guarded by this: the partitions of {@code provisioning.operations} held now (assigned, not revoked since). */
    private final Set<Integer> held = new HashSet<>();
    /** Guarded by this: the partitions of {@code provisioning.operations} at the last assignment; 0 before it. */
    private int partitionCount;

    @Inject
    public OperationsPartitions(WriterConfig config, WriterStop writerStop) {
        this(config.lanes().releaseLease(), config.lanes().stopGrace(), writerStop);
    }

    /**
     * @param handoverWait how long a revocation waits at most for the operations running under its partitions
     * @param stopGrace how long a clean shutdown lets running operations finish before it abandons them
     */
    OperationsPartitions(Duration handoverWait, Duration stopGrace) {
        this(handoverWait, stopGrace, null);
    }

    private OperationsPartitions(Duration handoverWait, Duration stopGrace, WriterStop writerStop) {
        this.handoverWait = handoverWait;
        this.stopGrace = stopGrace;
        this.writerStop = writerStop;
    }

    /**
     * A clean shutdown ({@link WriterStop#OPERATIONS}): {@link #stop} before the connector closes the consumer (which
     * revokes every partition), letting the running operations finish for {@code writer.lanes.stop-grace} or until the
     * stop's deadline, whichever comes first.
     */
    void onShutdown(@Observes @Priority(WriterStop.OPERATIONS) ShutdownEvent event) {
        Duration left = writerStop == null ? stopGrace : writerStop.left();
        stop(left.compareTo(stopGrace) < 0 ? left : stopGrace);
    }

    /**
     * Begins a clean shutdown: no operation {@linkplain #start starts} any more; waits until those running finished
     * or {@code writer.lanes.stop-grace} passed, then abandons the others ({@link #abandoned} completes), so the
     * revocation that follows does not wait for them.
     */
    public void stop() {
        stop(stopGrace);
    }

    /** {@link #stop()}, letting the running operations finish for {@code grace}. */
    private void stop(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        int left;
        synchronized (this) {
            stopping = true;
            try {
                while ((left = runningAll()) > 0) {
                    long wait = deadline - System.nanoTime();
                    if (wait <= 0) {
                        break;
                    }
                    handingOver++;
                    try {
                        wait(Math.max(1, wait / 1_000_000));
                    } finally {
                        handingOver--;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                left = runningAll();
            }
        }
        if (left > 0) {
            LOG.infof("shutting down: %s still running after %s (writer.lanes.stop-grace=%s) abandoned (their "
                    + "records are consumed again by the partitions' next owner)", Plural.of(left, "operation"), grace,
                    stopGrace);
        }
        abandonedAll = true;
        abandonable.forEach(stage -> stage.complete(null));
    }

    /**
     * Completes when a clean shutdown abandons the operations still running: an operation {@linkplain #start started}
     * runs until its work or this completes, whichever first (its work is then cancelled, not acked).
     */
    public Uni<Void> abandoned() {
        // a stage of its own per operation, forgotten when the operation ends first (nothing kept per operation done)
        return Uni.createFrom().deferred(() -> {
            CompletableFuture<Void> stage = new CompletableFuture<>();
            abandonable.add(stage);
            if (abandonedAll) {
                stage.complete(null);
            }
            return Uni.createFrom().completionStage(stage).onTermination().invoke(() -> abandonable.remove(stage));
        });
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        // the whole assignment, not only the partitions added (a cooperative rebalance adds some)
        Set<Integer> assigned = new HashSet<>();
        consumer.assignment().stream().filter(tp -> Topics.OPERATIONS.equals(tp.topic()))
                .forEach(tp -> assigned.add(tp.partition()));
        int all = consumer.partitionsFor(Topics.OPERATIONS).size();
        boolean holdsAll = all > 0 && assigned.size() == all;
        synchronized (this) {
            allHeldSince = holdsAll ? revocations : -1;
            held.clear();
            held.addAll(assigned);
            partitionCount = all;
        }
        LOG.infof("%s: %d of %s held %s; this replica releases the deferred operations of %s, straight "
                + "into their tenant's lane", Topics.OPERATIONS, assigned.size(), Plural.of(all, "partition"), assigned,
                holdsAll ? "every partition" : "these partitions");
    }

    /**
     * Takes the partitions' ownership from the operations that came under it, then waits (at most
     * {@code writer.lanes.release-lease}) until those running under it finished, so the new owner starts after them.
     */
    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (partitions.stream().noneMatch(tp -> Topics.OPERATIONS.equals(tp.topic()))) {
            return;
        }
        long deadline = System.nanoTime() + handoverWait.toNanos();
        int waiting;
        synchronized (this) {
            revocations++;
            allHeldSince = -1;
            partitions.forEach(tp -> held.remove(tp.partition()));
            partitions.forEach(tp -> revokedTimes.merge(tp, 1L, Long::sum));
            handingOver++;
            try {
                while ((waiting = runningUnder(partitions)) > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    wait(Math.max(1, left / 1_000_000));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                waiting = runningUnder(partitions);
            } finally {
                handingOver--;
            }
        }
        if (waiting > 0) {
            LOG.warnf("%s: %s of the revoked partitions %s still running after %s: handed over without them (their "
                    + "records are consumed again by the new owner)", Topics.OPERATIONS,
                    Plural.of(waiting, "operation"),
                    partitions, handoverWait);
        }
    }

    /**
     * Whether this replica holds every partition of {@code provisioning.operations} now: then a released deferred
     * operation may run straight in its lane, under the ownership returned.
     *
     * @return the ownership of every partition, or empty when this replica does not hold them all (or is shutting
     *         down)
     */
    public synchronized Optional<Ownership> holdingAll() {
        return allHeldSince < 0 || stopping
                ? Optional.empty()
                : Optional.of(new Ownership(null, allHeldSince));
    }

    /**
     * The partitions of {@code provisioning.operations} this replica holds now, each with the ownership a deferred
     * operation of it released now runs under (straight in its lane, as {@link #of} a record of it just taken).
     *
     * @return by partition number; empty before the first assignment and from a clean shutdown on ({@link #stop}),
     *         without the revoked ones from a revocation until the next assignment
     */
    public synchronized Map<Integer, Ownership> held() {
        Map<Integer, Ownership> owned = new HashMap<>();
        if (stopping) {
            return owned;
        }
        for (int partition : held) {
            TopicPartition tp = new TopicPartition(Topics.OPERATIONS, partition);
            owned.put(partition, new Ownership(tp, revokedTimes.getOrDefault(tp, 0L)));
        }
        return owned;
    }

    /**
     * The owners of the deferred operations here now ({@link Owners}): {@link #held}, {@link #holdingAll} and the
     * number of partitions read together, so that a rebalance cannot come between them.
     */
    public synchronized Owners owners() {
        return new Owners(held(), holdingAll(), partitionCount);
    }

    /**
     * The partition of {@code provisioning.operations} a record of this key goes to: Kafka's default partitioner for a
     * keyed record (murmur2 of the key's UTF-8 bytes, modulo the partitions), as the mapper publishes operations.
     *
     * @param key {@code jobId/objectId}
     * @return null before the first assignment (the number of partitions is not known)
     */
    public synchronized Integer partitionOf(String key) {
        return partitionCount == 0 ? null : partitionOf(key, partitionCount);
    }

    /** {@link #partitionOf(String)} among {@code partitions} partitions (at least 1). */
    public static int partitionOf(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /** The ownership a record of this partition, just taken, runs under. */
    public synchronized Ownership of(TopicPartition partition) {
        return new Ownership(partition, revokedTimes.getOrDefault(partition, 0L));
    }

    /**
     * An operation starts under its ownership, if it still holds: then it counts as running until {@link #finish}.
     *
     * @return false if a revocation took the ownership away since it was taken (the operation is left to the new
     *         owner, and must not be finished)
     */
    public synchronized boolean start(Ownership ownership) {
        if (stopping) {
            return false;
        }
        if (ownership.partition() == null) {
            if (allHeldSince < 0 || allHeldSince != ownership.revocations()) {
                return false;
            }
            runningReleased++;
            return true;
        }
        if (revokedTimes.getOrDefault(ownership.partition(), 0L) != ownership.revocations()) {
            return false;
        }
        running.merge(ownership.partition(), 1, Integer::sum);
        return true;
    }

    /** An operation {@linkplain #start started} under its ownership is done. */
    public synchronized void finish(Ownership ownership) {
        if (ownership.partition() == null) {
            runningReleased--;
        } else {
            running.computeIfPresent(ownership.partition(), (tp, n) -> n > 1 ? n - 1 : null);
        }
        if (handingOver > 0) {
            notifyAll();
        }
    }

    /** Whether a revocation, or a clean shutdown ({@link #stop}), is waiting for running operations now. */
    public synchronized boolean handingOver() {
        return handingOver > 0;
    }

    /** Every operation running (guarded by this). */
    private int runningAll() {
        int n = runningReleased;
        for (int count : running.values()) {
            n += count;
        }
        return n;
    }

    /**
     * The operations running under the partitions: those of their records, and every released one running straight
     * in a lane (it ran under every partition).
     */
    private int runningUnder(Collection<TopicPartition> partitions) {
        int n = runningReleased;
        for (TopicPartition tp : partitions) {
            n += running.getOrDefault(tp, 0);
        }
        return n;
    }
}
