package dev.provisioning.telemetry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;

/**
 * The last step of a service's clean stop on its {@code commit-strategy=throttled} channels, after their consumers
 * were drained: waits until SmallRye has no offset commit left to make, so that none is under way when it closes the
 * consumer.
 *
 * <p>
 * Why (SmallRye Kafka 4.33, {@code KafkaThrottledLatestProcessedCommit}, {@code ReactiveKafkaConsumer},
 * {@code KafkaSource.closeQuietly}): the strategy commits on a Vert.x timer, every {@code auto.commit.interval.ms}
 * (5 s by default) and re-armed when the commit ended. When the records acked since the previous commit moved the
 * committable offsets, the timer hands {@code commitSync} to the consumer's polling thread (one thread, tasks in
 * order) and logs a failure as {@code WARN SRMSG18252: Failed to commit ...}; with nothing new it commits nothing. At
 * the channel's close SmallRye commits what is left synchronously, cancels the timer, and closes the consumer, which
 * first calls {@code wakeup()}: a timer commit still queued or under way on the polling thread then fails with
 * {@code WakeupException}, and SRMSG18252 is logged. That commit is one the timer had taken the offsets for, so the
 * close's own commit found nothing left to commit and did not wait for it.
 *
 * <p>
 * How: once the consumers were drained, nothing is acked any more, so the timer has at most one commit left to make.
 * The group's committed offsets of the consumer's partitions ({@link KafkaConsumer#committed}, asked on the polling
 * thread, so after any commit queued there before) are read once, then every {@value #LOOK_MILLIS} ms, and the channel
 * is settled when
 * <ul>
 * <li>they moved: a timer commit made after the drain, which took every offset acked, ended (the next one finds
 * nothing); or</li>
 * <li>they did not move for one commit interval plus {@link #MARGIN}: the timer ran in that time and found nothing to
 * commit (the margin covers the event loop's delay and the commit the timer waited for).</li>
 * </ul>
 * Each channel is settled in one interval at most, all channels at once, so a stop costs the longest channel's
 * {@code auto.commit.interval.ms} plus {@link #MARGIN}: the services set it to 1 s on their throttled channels. The wait
 * ends at the stop's deadline in any case (then SRMSG18252 may be logged again; the offsets not committed are
 * consumed again after the next start, and every consumer's effects are idempotent). A partition commit made by a
 * rebalance (another replica joining during the stop) also counts as moved; the channel's own close may then still
 * race a later timer commit.
 */
public final class CommitsSettled {

    /** SmallRye's {@code auto.commit.interval.ms} when the channel does not set it. */
    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    /**
     * Added to the commit interval: the timer runs on an event loop (which may be busy) and is re-armed only once the
     * commit it made ended (on the polling thread, behind the poll under way).
     */
    static final Duration MARGIN = Duration.ofMillis(500);
    static final long LOOK_MILLIS = 100;
    private static final Logger LOG = Logger.getLogger(CommitsSettled.class);

    private CommitsSettled() {
    }

    /** One channel's consumer, watched. */
    private static final class Watch {
        final String channel;
        final KafkaConsumer<Object, Object> consumer;
        final TopicPartition[] partitions;
        final long window;
        Map<TopicPartition, OffsetAndMetadata> first;
        long since;
        boolean settled;

        Watch(String channel, KafkaConsumer<Object, Object> consumer, Set<TopicPartition> partitions,
                Duration interval) {
            this.channel = channel;
            this.consumer = consumer;
            this.partitions = partitions.toArray(TopicPartition[]::new);
            this.window = interval.plus(MARGIN).toNanos();
        }
    }

    /**
     * Waits until none of the channels' consumers has a throttled commit left to make (see the class comment), at most
     * {@code limit}. Blocks: call it from a shutdown observer, after the channels' consumers were drained (nothing is
     * acked any more). A channel without a consumer (a test without Kafka) or without partitions is settled at once; a
     * failure to read the committed offsets gives the channel up (logged at DEBUG).
     *
     * @param kafka the connector's clients; null: nothing to wait for
     * @param limit the time left until the stop's deadline
     * @param channels the incoming channels with {@code commit-strategy=throttled}
     * @return whether every channel settled within {@code limit}
     */
    public static boolean await(KafkaClientService kafka, Duration limit, String... channels) {
        if (kafka == null) {
            return true;
        }
        long deadline = System.nanoTime() + limit.toNanos();
        List<Watch> watches = new ArrayList<>();
        boolean all = true;
        for (String channel : channels) {
            try {
                KafkaConsumer<Object, Object> consumer = kafka.getConsumer(channel);
                if (consumer == null) {
                    continue;
                }
                Set<TopicPartition> partitions = consumer.getAssignments().await().atMost(left(deadline));
                if (!partitions.isEmpty()) {
                    watches.add(new Watch(channel, consumer, partitions, interval(consumer)));
                }
            } catch (RuntimeException e) {
                all = false;
                LOG.debugf("the %s consumer's partitions could not be read as the service stops: %s", channel,
                        e.toString());
            }
        }
        try {
            while (watches.stream().anyMatch(w -> !w.settled)) {
                for (Watch w : watches) {
                    if (!w.settled) {
                        look(w, deadline);
                    }
                }
                if (watches.stream().allMatch(w -> w.settled) || System.nanoTime() - deadline >= 0) {
                    break;
                }
                Thread.sleep(LOOK_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Watch w : watches) {
            if (!w.settled) {
                all = false;
                LOG.debugf("the %s consumer's offsets had not settled at the stop's deadline", w.channel);
            }
        }
        return all;
    }

    /** Reads the channel's committed offsets and settles it if they moved, or stayed for its window. */
    private static void look(Watch w, long deadline) {
        Map<TopicPartition, OffsetAndMetadata> now;
        try {
            now = w.consumer.committed(w.partitions).await().atMost(left(deadline));
        } catch (RuntimeException e) {
            w.settled = true;
            LOG.debugf("the %s consumer's committed offsets could not be read as the service stops: %s", w.channel,
                    e.toString());
            return;
        }
        long at = System.nanoTime();
        if (w.first == null) {
            w.first = now;
            w.since = at;
        } else if (!Objects.equals(w.first, now) || at - w.since >= w.window) {
            w.settled = true;
        }
    }

    /** The time left until {@code deadline}, at least a millisecond (Mutiny waits for a positive time only). */
    private static Duration left(long deadline) {
        return Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
    }

    /** The consumer's {@code auto.commit.interval.ms}, as SmallRye's throttled strategy reads it (default 5 s). */
    static Duration interval(KafkaConsumer<?, ?> consumer) {
        Object value = consumer.configuration().get(ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG);
        if (value == null) {
            return DEFAULT_INTERVAL;
        }
        try {
            return Duration.ofMillis(Long.parseLong(value.toString().trim()));
        } catch (NumberFormatException e) {
            return DEFAULT_INTERVAL;
        }
    }
}
