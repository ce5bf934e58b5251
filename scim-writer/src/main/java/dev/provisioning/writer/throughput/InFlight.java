package dev.provisioning.writer.throughput;

import java.util.ArrayDeque;

/**
 * A cap on requests in flight, without blocking: a caller that finds no permit leaves a callback that runs when one
 * is released (first come, first served). Plain Java, thread-safe.
 */
public final class InFlight {

    private final ArrayDeque<Runnable> waiters = new ArrayDeque<>();
    private int max;
    private int used;

    public InFlight(int max) {
        this.max = Math.max(1, max);
    }

    /**
     * Takes a permit now (true), or queues {@code whenGranted} to run, with the permit, once one is released (false).
     */
    public synchronized boolean acquire(Runnable whenGranted) {
        if (used < max) {
            used++;
            return true;
        }
        waiters.add(whenGranted);
        return false;
    }

    /** Gives a permit back; the oldest waiter, if any, gets it. */
    public void release() {
        Runnable next = null;
        synchronized (this) {
            if (used <= max && !waiters.isEmpty()) {
                next = waiters.poll();
            } else {
                used--;
            }
        }
        if (next != null) {
            next.run();
        }
    }

    /** Changes the cap; a higher cap lets waiters in at once. */
    public void max(int newMax) {
        java.util.List<Runnable> granted = new java.util.ArrayList<>();
        synchronized (this) {
            max = Math.max(1, newMax);
            while (used < max && !waiters.isEmpty()) {
                used++;
                granted.add(waiters.poll());
            }
        }
        granted.forEach(Runnable::run);
    }

    public synchronized int inUse() {
        return used;
    }

    public synchronized int max() {
        return max;
    }
}
