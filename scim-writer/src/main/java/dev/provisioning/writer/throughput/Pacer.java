package dev.provisioning.writer.throughput;

import java.util.ArrayDeque;
import java.util.function.LongSupplier;

/**
 * Lets a tenant's waiting requests go one at a time, in arrival order, at the slots of its {@link AdaptiveRate}. Only
 * the request at the head holds a reservation, so the spacing always follows the current rate: reserving a slot for
 * every waiting request at once (up to the in-flight cap, 32) would fix their spacing at the rate of the moment they
 * arrived, and a rate halved by a 429 would hold for as long as that queue (about 2.5 s at 12.5 requests/s) however
 * fast it recovered. A slot voided by a {@code Retry-After} pause is reserved again, after the pause.
 * <p>
 * Plain Java: the clock and the timers are passed in (Vert.x timers in {@link TenantGates}, a fake clock in tests).
 * Thread-safe: one pacing loop runs at a time.
 */
public final class Pacer {

    /** Runs a task after a delay (nanoseconds), not before. */
    @FunctionalInterface
    public interface Timers {
        void schedule(long delayNanos, Runnable task);
    }

    private final AdaptiveRate rate;
    private final LongSupplier clock;
    private final Timers timers;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    private boolean pacing;

    /**
     * @param rate the tenant's rate
     * @param clock the current time in nanoseconds ({@link System#nanoTime()} values)
     * @param timers the timers the head waits on
     */
    public Pacer(AdaptiveRate rate, LongSupplier clock, Timers timers) {
        this.rate = rate;
        this.clock = clock;
        this.timers = timers;
    }

    /** Queues {@code send}, which runs once the rate gives it a slot (at once when it is free and nothing waits). */
    public void submit(Runnable send) {
        synchronized (this) {
            waiting.add(send);
            if (pacing) {
                return;
            }
            pacing = true;
        }
        next();
    }

    /** How many requests wait for a slot. */
    public synchronized int waiting() {
        return waiting.size();
    }

    private void next() {
        while (true) {
            synchronized (this) {
                if (waiting.isEmpty()) {
                    pacing = false;
                    return;
                }
            }
            AdaptiveRate.Slot slot = rate.reserve(clock.getAsLong());
            if (slot.waitNanos() > 0) {
                timers.schedule(slot.waitNanos(), () -> woke(slot));
                return;
            }
            sendHead();
        }
    }

    private void woke(AdaptiveRate.Slot slot) {
        if (rate.current(slot)) {
            sendHead();
        }
        next();
    }

    private void sendHead() {
        Runnable head;
        synchronized (this) {
            head = waiting.poll();
        }
        head.run();
    }
}
