package dev.provisioning.writer.lanes;

import java.util.ArrayDeque;

import io.smallrye.mutiny.Uni;

/**
 * The memory bound of the operations consumer: at most {@code max} records taken from Kafka and not acked yet (in
 * lanes, or waiting for their job's configuration), all tenants and jobs together. A record beyond it is taken only
 * when one is released, which holds the partition stream (back-pressure): nothing is dropped for want of room. Plain
 * Java, thread-safe.
 */
public final class AdmissionLimit {

    private final int max;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    private int used;

    public AdmissionLimit(int max) {
        this.max = Math.max(1, max);
    }

    /** Completes once a record may be taken (at once when there is room); release it with {@link #release()}. */
    public Uni<Void> acquire() {
        return Uni.createFrom().emitter(emitter -> {
            synchronized (this) {
                if (used >= max) {
                    waiting.add(() -> emitter.complete(null));
                    return;
                }
                used++;
            }
            emitter.complete(null);
        });
    }

    /** A record was acked: its room goes to the oldest waiting record, if any. */
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

    /** Records taken and not released. */
    public synchronized int used() {
        return used;
    }
}
