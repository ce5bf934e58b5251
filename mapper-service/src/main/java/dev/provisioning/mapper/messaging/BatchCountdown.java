package dev.provisioning.mapper.messaging;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts one poll's records down to the poll's single ack. Each record of the poll ends exactly once: {@link #finished}
 * (its operation or result is acked by the broker, or it is on the dead-letter topic) or {@link #unfinished} (neither
 * could be sent: Kafka refused it). When the last one ends, {@code onEnd} runs once, with whether every record
 * finished: only then may the poll be acked, since SmallRye acks a poll as each partition's last record of it, and the
 * {@code throttled} commit strategy then commits past all of the poll's records.
 *
 * <p>
 * A poll with no records ends at once (in the constructor). Ending a record more often than the poll has records is a
 * bug and throws {@link IllegalStateException} (the ack would otherwise have gone out too early). Thread-safe: records
 * end on the producer's threads, the job waits' executor or the consumer's thread.
 */
final class BatchCountdown {

    /** What happens when the poll's last record ended. */
    interface OnEnd {

        /** @param allFinished whether every record finished (false: at least one could not be sent anywhere) */
        void ended(boolean allFinished);
    }

    private final AtomicInteger open;
    private final OnEnd onEnd;
    private volatile boolean failed;

    /**
     * @param records how many records the poll has (0 or more)
     * @param onEnd runs once, when the last record ended, on the thread that ended it
     */
    BatchCountdown(int records, OnEnd onEnd) {
        if (records < 0) {
            throw new IllegalArgumentException("records must be 0 or more: " + records);
        }
        this.open = new AtomicInteger(records);
        this.onEnd = onEnd;
        if (records == 0) {
            onEnd.ended(true);
        }
    }

    /** One record is done: its output is acked, or it is dead-lettered. */
    void finished() {
        end();
    }

    /** One record could not be finished (its output and its dead letter both failed): the poll is never acked. */
    void unfinished() {
        failed = true;
        end();
    }

    /** Records that have not ended yet. */
    int open() {
        return Math.max(0, open.get());
    }

    private void end() {
        int left = open.decrementAndGet();
        if (left < 0) {
            throw new IllegalStateException("a record of the poll ended twice");
        }
        if (left == 0) {
            onEnd.ended(!failed);
        }
    }
}
