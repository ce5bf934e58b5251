package dev.provisioning.telemetry;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
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
 *
 * <p>
 * A consumer's handling of what it fetched counts as rounds too: {@link #drain} lets the rounds fetched before a stop
 * end while the database answers, and {@link #retried} retries a failure with a backoff that gives up at once when the
 * service stops ({@link #endRetries}), so no retry waits out its backoff against a pool about to close.
 */
public final class ScheduledRounds {

    /**
     * How long {@link #stop} waits for the rounds under way by default: well within the 20 s the run command gives a
     * service to exit and Kubernetes' 30 s {@code terminationGracePeriodSeconds}, which also cover closing the Kafka
     * clients.
     */
    public static final Duration GRACE = Duration.ofSeconds(10);

    /** How often {@link #drain} looks whether a round is under way. */
    private static final Duration DRAIN_LOOK = Duration.ofMillis(20);

    private final AtomicInteger underway = new AtomicInteger();
    private final Object ended = new Object();
    private volatile boolean stopping;
    private volatile boolean retriesEnded;
    /** Completed by {@link #endRetries}: the retries waiting for their backoff give up. */
    private final CompletableFuture<Void> retriesEnd = new CompletableFuture<>();

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
        endRetries();
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

    /**
     * The service begins to stop: from now on a failure is not retried by {@link #retried}, and a retry waiting for its
     * backoff gives up at once (with the failure it waited to retry). Rounds still start until {@link #stop}.
     */
    public void endRetries() {
        retriesEnded = true;
        retriesEnd.complete(null);
    }

    /** Whether {@link #endRetries} (or {@link #stop}) was called: a failure now is not retried. */
    public boolean retriesEnded() {
        return retriesEnded;
    }

    /**
     * The end of a consumer's work at a stop: waits until no round has been under way for {@code quiet} (calling
     * {@code whileBusy} each time one is, e.g. to pause the Kafka consumer again), at most {@code grace}; then
     * {@link #stop}s, waiting for the round under way until the grace is over. Retries end first ({@link #endRetries}).
     * So the records fetched before the stop are handled, and acked, while the database answers; one delivered after
     * is not. Blocks: call it from a shutdown observer.
     *
     * @return whether every round ended within the grace (false: some are abandoned)
     */
    public boolean drain(Duration quiet, Duration grace, Runnable whileBusy) {
        endRetries();
        long deadline = System.nanoTime() + grace.toNanos();
        long quietSince = System.nanoTime();
        try {
            while (System.nanoTime() < deadline && System.nanoTime() - quietSince < quiet.toNanos()) {
                if (underway.get() > 0) {
                    quietSince = System.nanoTime();
                    whileBusy.run();
                }
                Thread.sleep(DRAIN_LOOK.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return stop(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }

    /**
     * {@code attempt}, subscribed again after a failure {@code worth} retrying, up to {@code retries} times, after an
     * exponential backoff ({@code first}, doubled each time, at most {@code max}), unless the retries ended
     * ({@link #endRetries}): then the failure is not retried, and a retry waiting for its backoff gives up at once.
     * Either way the last failure is the {@code Uni}'s; {@link #retriesEnded} tells the caller whether the stop ended
     * it.
     *
     * @param attempt builds one attempt when subscribed to
     * @param failed told of each failure before it is retried (to log it)
     */
    public <T> Uni<T> retried(Supplier<Uni<T>> attempt, Predicate<Throwable> worth, Consumer<Throwable> failed,
            Duration first, Duration max, int retries) {
        return attempt(attempt, worth, failed, first, max, retries, 0);
    }

    private <T> Uni<T> attempt(Supplier<Uni<T>> attempt, Predicate<Throwable> worth, Consumer<Throwable> failed,
            Duration first, Duration max, int retries, int done) {
        return Uni.createFrom().<T>deferred(() -> attempt.get())
                .onFailure(e -> done < retries && !retriesEnded && worth.test(e)).recoverWithUni(e -> {
                    failed.accept(e);
                    return backoff(backoffOf(first, max, done)).onItem().transformToUni(waited -> waited
                            ? attempt(attempt, worth, failed, first, max, retries, done + 1)
                            : Uni.createFrom().<T>failure(e));
                });
    }

    /** The wait before retry {@code done + 1}: {@code first}, doubled for each retry before, at most {@code max}. */
    static Duration backoffOf(Duration first, Duration max, int done) {
        Duration wait = first;
        for (int i = 0; i < done && wait.compareTo(max) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(max) > 0 ? max : wait;
    }

    /** Completes with true after {@code delay}, or with false as soon as the retries end. */
    private Uni<Boolean> backoff(Duration delay) {
        Uni<Boolean> waited = Uni.createFrom().item(Boolean.TRUE).onItem().delayIt().by(delay);
        // a stage of its own per wait: cancelling it (the wait ended first) leaves retriesEnd as it is
        Uni<Boolean> ended = Uni.createFrom().completionStage(() -> retriesEnd.thenApply(ignored -> Boolean.FALSE));
        return Uni.combine().any().of(waited, ended);
    }

    private void end() {
        if (underway.decrementAndGet() == 0) {
            synchronized (ended) {
                ended.notifyAll();
            }
        }
    }
}
