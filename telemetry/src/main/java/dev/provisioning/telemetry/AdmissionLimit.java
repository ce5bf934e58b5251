package dev.provisioning.telemetry;

import java.util.ArrayDeque;

import io.smallrye.mutiny.Uni;

/**
 * A consumer's in-flight bound: at most {@code max} records taken from Kafka and not finished yet (acked, or released
 * by whatever the consumer counts as done), all partitions, tenants and jobs together. The consumer's
 * {@code @Incoming} method returns {@link #acquire()}, so a record beyond the bound is taken only when one is released:
 * that holds the partition stream (back-pressure), and nothing is dropped for want of room. Room is handed to the
 * waiting records in the order they asked for it (FIFO), so the records keep their consumption order.
 *
 * <p>
 * Used by the scim-writer's operations consumer ({@code writer.lanes.max-records}, gauge
 * {@code scim.writer.operations.in.progress}) and the mapper's assignments consumer ({@code mapper.max-in-flight},
 * gauge {@code provisioning.mapper.records.in.flight}). Plain Java and Mutiny, thread-safe.
 */
public final class AdmissionLimit {

    private final int max;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    private int used;
    private int peak;

    /** @param max records in flight at most; below 1 counts as 1 */
    public AdmissionLimit(int max) {
        this.max = Math.max(1, max);
    }

    /**
     * Completes once a record may be taken: at once when there is room, else when {@link #release()} hands it the
     * room of a finished record (on the releasing thread). Never fails. Each completion must be matched by one
     * {@link #release()}.
     */
    public Uni<Void> acquire() {
        return Uni.createFrom().emitter(emitter -> {
            synchronized (this) {
                if (used >= max) {
                    waiting.add(() -> emitter.complete(null));
                    return;
                }
                used++;
                peak = Math.max(peak, used);
            }
            emitter.complete(null);
        });
    }

    /** A record is finished: its room goes to the oldest waiting record, if any, else it is freed. */
    public void release() {
        Runnable next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                used--;
            }
        }
        if (next != null) {
            next.run();
        }
    }

    /** Records taken and not released (0 to {@code max}). */
    public synchronized int used() {
        return used;
    }

    /** Records waiting for room (the stream is held while one waits). */
    public synchronized int waiting() {
        return waiting.size();
    }

    /**
     * The most records that were in flight at once since the previous call (or since creation), then starts a new
     * period from the records in flight now. For tests and diagnostics: whether records overlapped at all.
     */
    public synchronized int takePeak() {
        int highest = peak;
        peak = used;
        return highest;
    }
}
