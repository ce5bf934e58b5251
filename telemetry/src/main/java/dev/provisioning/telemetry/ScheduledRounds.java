package dev.provisioning.telemetry;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;

/**
 * The rounds of a service's scheduled (or otherwise started) background work, and its stop: once {@link #stop} is
 * called no new round starts, and the stop waits, at most its grace, for the rounds under way to end. A service calls
 * {@link #stop} from its {@code ShutdownEvent} observer, while its database pool, mailer and Kafka clients still work:
 * Quarkus closes them after the event's observers return, and before, a round still running then (a digest sent and
 * not yet recorded, a claim of due cycles) failed against a closed pool and logged an ERROR at every clean stop.
 *
 * <p>
 * A round that has not ended when the grace is over is abandoned as a crash would abandon it: whatever it had not
 * recorded is done again after the next start (the outbox row stays pending, the claim lapses). Its failure is then an
 * effect of the stop, and {@link #stopping()} lets the caller log it quietly; a failure while not stopping is still a
 * failure.
 */
public final class ScheduledRounds {

    /**
     * How long {@link #stop} waits for the rounds under way by default: well within the 20 s the run command gives a
     * service to exit and Kubernetes' 30 s {@code terminationGracePeriodSeconds}, which also cover closing the Kafka
     * clients.
     */
    public static final Duration GRACE = Duration.ofSeconds(10);

    private final AtomicInteger underway = new AtomicInteger();
    private final Object ended = new Object();
    private volatile boolean stopping;

    /**
     * One round, unless the service is stopping (then a round that does nothing). The round is counted from its
     * subscription to its end (item, failure or cancellation).
     *
     * @param round builds the round's work when it is subscribed to
     */
    public Uni<Void> run(Supplier<Uni<Void>> round) {
        return run(round, null);
    }

    /**
     * One round that yields a value, unless the service is stopping (then {@code whenStopping}, at once).
     *
     * @param round builds the round's work when it is subscribed to
     * @param whenStopping the item of a round not run because the service is stopping
     */
    public <T> Uni<T> run(Supplier<Uni<T>> round, T whenStopping) {
        return Uni.createFrom().deferred(() -> {
            underway.incrementAndGet();
            if (stopping) {
                end();
                return Uni.createFrom().item(whenStopping);
            }
            Uni<T> work;
            try {
                work = round.get();
            } catch (RuntimeException e) {
                end();
                throw e;
            }
            return work.onTermination().invoke(this::end);
        });
    }

    /** Whether {@link #stop} was called: no round starts any more, and a failure now may be the stop's doing. */
    public boolean stopping() {
        return stopping;
    }

    /**
     * The level to log a round's failure at: {@code otherwise}, or DEBUG once stopping (the stop may have caused it, and
     * what the round had not done is done after the next start).
     */
    public Logger.Level failureLevel(Logger.Level otherwise) {
        return stopping ? Logger.Level.DEBUG : otherwise;
    }

    /** How many rounds are under way. */
    public int underway() {
        return underway.get();
    }

    /**
     * Starts no more rounds and waits until those under way have ended, at most {@code grace}. Blocks: call it from a
     * shutdown observer, never on an event loop.
     *
     * @return whether every round ended within the grace (false: some are abandoned)
     */
    public boolean stop(Duration grace) {
        stopping = true;
        long deadline = System.nanoTime() + grace.toNanos();
        synchronized (ended) {
            while (underway.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    ended.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return underway.get() == 0;
                }
            }
        }
        return true;
    }

    private void end() {
        if (underway.decrementAndGet() == 0) {
            synchronized (ended) {
                ended.notifyAll();
            }
        }
    }
}
