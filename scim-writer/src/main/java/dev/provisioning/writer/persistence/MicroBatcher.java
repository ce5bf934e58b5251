package dev.provisioning.writer.persistence;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;
import java.util.function.BinaryOperator;
import java.util.function.Function;

import org.jboss.logging.Logger;

import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgException;

import dev.provisioning.telemetry.DatabaseRefusals;
import dev.provisioning.telemetry.Plural;

/**
 * Gathers concurrent requests into one SQL statement (issue 13, W2): the requests arriving within one window (at most
 * {@code window} after the first of them, or until {@code maxSize} have arrived, whichever comes first) are run as one
 * statement, whose results complete each caller's {@link Uni}, in the order they were submitted.
 *
 * <ul>
 * <li>A caller's {@code Uni} completes only when the statement of its window has completed (for a write: committed,
 * every statement runs in autocommit), and on the caller's own Vert.x context (each operation runs on a duplicated
 * context of its own, with its trace context in its locals), or on the statement's thread for a caller without one.
 * </li>
 * <li>A failing statement fails every caller of its window, and only those: each retries as it would have retried its
 * own statement (a window never outlives its statement; the next requests open a new one). Except when PostgreSQL
 * refused the data (SQLSTATE class 22, data exception, or 23, integrity constraint violation, as every service reads
 * it: {@link DatabaseRefusals}): then one row may be the cause (a "poison row"), so the window is split in halves, run
 * one after the other (the earlier callers first, so the calls of one key keep their order), each split again when
 * it fails so, down to the one caller whose row PostgreSQL refuses on its own. That caller alone fails, with
 * {@link RowRefused} (logged as {@value #ROW_REFUSED}); every other caller completes with its own statement's result.
 * A window of n callers with one such row costs about 2 log2(n) more statements, only when it happens.</li>
 * <li>Laziness: a request is submitted when its {@code Uni} is subscribed, so a resubscription (a retry) submits it
 * again. Cancelling a caller does not withdraw its request.</li>
 * <li>The statement runs on a fresh duplicated context (no caller's trace context or locals).</li>
 * </ul>
 * Thread-safe. Windows overlap: a full window's statement runs while the next window fills, so up to the pool's size
 * of statements may be in flight.
 *
 * <p>
 * Writes that may name one row twice in a window (an {@code INSERT ... ON CONFLICT DO UPDATE} refuses to affect a row
 * twice in one statement) are gathered by {@link #perKey}: one row per key, merged in call order.
 *
 * @param <Q> a request (the parameters of one caller's row)
 * @param <R> a caller's result
 */
public final class MicroBatcher<Q, R> {

    private static final Logger LOG = Logger.getLogger(MicroBatcher.class);

    /** The code logged, and named in {@link RowRefused}'s message, when PostgreSQL refuses one caller's row. */
    public static final String ROW_REFUSED = "WriterRowRefused";

    /**
     * PostgreSQL refused this caller's row on its own (its statement held no other caller's row): a value it does not
     * accept or a constraint it violates. Running it again fails again.
     */
    public static final class RowRefused extends RuntimeException {
        private final String sqlState;

        RowRefused(Throwable cause) {
            super(ROW_REFUSED + ": PostgreSQL refused the row (" + why(cause) + ")", cause);
            this.sqlState = DatabaseRefusals.sqlState(cause);
        }

        /** PostgreSQL's SQLSTATE, e.g. {@code 22021} (a NUL character in text), {@code 23505} (a duplicate key). */
        public String sqlState() {
            return sqlState;
        }
    }

    /** One caller waiting for its window's statement. */
    private record Waiting<Q, R>(Q request, UniEmitter<? super R> emitter, Context context) {
    }

    private final Vertx vertx;
    private final int maxSize;
    private final long windowMillis;
    private final Function<List<Q>, Uni<List<R>>> statement;
    /** The open window's callers. Guarded by {@code this}. */
    private List<Waiting<Q, R>> open = new ArrayList<>();
    /** Which window is open: a timer flushes only the window it was set for. Guarded by {@code this}. */
    private long generation;

    /**
     * @param vertx runs the window's timer and the statements
     * @param maxSize the requests of one statement at most; a window that reaches it runs at once
     * @param window how long the first request of a window waits for others (rounded up to whole milliseconds, at
     *        least 1 ms: Vert.x timers have millisecond resolution)
     * @param statement runs the requests of one window as one statement; its list holds one result per request, in
     *        the requests' order (a list of another size fails the window)
     */
    public MicroBatcher(Vertx vertx, int maxSize, Duration window, Function<List<Q>, Uni<List<R>>> statement) {
        this.vertx = vertx;
        this.maxSize = Math.max(1, maxSize);
        this.windowMillis = Math.max(1, (window.toNanos() + 999_999) / 1_000_000);
        this.statement = statement;
    }

    /**
     * A batcher of writes whose statement must name each key at most once (issue 13, W4): the requests of a window
     * that share a key are merged, in the order they were submitted, into the one write they amount to run one after
     * the other ({@code merge(earlier, later)}); the statement gets one row per key, in key order (so two statements
     * over the same rows, from two replicas, lock them in one order). Every caller completes, with {@code null}, when
     * the statement has completed, or fails when it fails, as with the constructor.
     *
     * @param key the row a request writes (never null)
     * @param merge the effect of two requests of one key run in this order (a pure function)
     * @param statement writes the rows of one window in one statement
     */
    public static <Q, K extends Comparable<? super K>> MicroBatcher<Q, Void> perKey(Vertx vertx, int maxSize,
            Duration window, Function<? super Q, ? extends K> key, BinaryOperator<Q> merge,
            Function<List<Q>, Uni<?>> statement) {
        return new MicroBatcher<>(vertx, maxSize, window, requests -> {
            TreeMap<K, Q> rows = new TreeMap<>();
            for (Q request : requests) {
                rows.merge(key.apply(request), request, merge);
            }
            return statement.apply(new ArrayList<>(rows.values()))
                    .map(ignored -> Collections.<Void>nCopies(requests.size(), null));
        });
    }

    /** The request's result, once the statement of its window completed (see the class comment). */
    public Uni<R> submit(Q request) {
        return Uni.createFrom().emitter(emitter -> {
            Waiting<Q, R> waiting = new Waiting<>(request, emitter, Vertx.currentContext());
            List<Waiting<Q, R>> full = null;
            long armFor = -1;
            synchronized (this) {
                open.add(waiting);
                if (open.size() >= maxSize) {
                    full = open;
                    open = new ArrayList<>();
                    generation++;
                } else if (open.size() == 1) {
                    armFor = generation;
                }
            }
            if (full != null) {
                run(full);
            } else if (armFor >= 0) {
                long window = armFor;
                vertx.setTimer(windowMillis, timer -> expired(window));
            }
        });
    }

    /** The window's time is up: runs it unless it was already run (full). */
    private void expired(long window) {
        List<Waiting<Q, R>> due;
        synchronized (this) {
            if (window != generation || open.isEmpty()) {
                return;
            }
            due = open;
            open = new ArrayList<>();
            generation++;
        }
        run(due);
    }

    private void run(List<Waiting<Q, R>> window) {
        Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        context.runOnContext(ignored -> attempt(window, () -> {
        }));
    }

    /**
     * Runs the callers' statement; when PostgreSQL refuses its data and there is more than one caller, runs each half
     * on its own, the earlier half first ({@link DatabaseRefusals}). {@code then} runs once every caller has completed
     * or failed.
     */
    private void attempt(List<Waiting<Q, R>> window, Runnable then) {
        List<Q> requests = new ArrayList<>(window.size());
        window.forEach(w -> requests.add(w.request()));
        Uni<List<R>> results;
        try {
            results = statement.apply(requests);
        } catch (RuntimeException e) {
            results = Uni.createFrom().failure(e);
        }
        results.subscribe().with(items -> {
            if (items == null || items.size() != window.size()) {
                IllegalStateException wrong = new IllegalStateException("a batched statement answered "
                        + (items == null ? "nothing" : Plural.of(items.size(), "result")) + " for "
                        + Plural.of(window.size(), "request"));
                window.forEach(w -> fail(w, wrong));
            } else {
                for (int i = 0; i < window.size(); i++) {
                    complete(window.get(i), items.get(i));
                }
            }
            then.run();
        }, failure -> {
            boolean refused = DatabaseRefusals.refused(failure);
            if (refused && window.size() > 1) {
                int half = window.size() / 2;
                attempt(window.subList(0, half), () -> attempt(window.subList(half, window.size()), then));
                return;
            }
            if (refused) {
                LOG.errorf("%s: PostgreSQL refused one row of a batched statement on its own (%s); only its caller "
                        + "fails, the other rows of its window were written without it", ROW_REFUSED, why(failure));
                fail(window.get(0), new RowRefused(failure));
            } else {
                window.forEach(w -> fail(w, failure));
            }
            then.run();
        });
    }

    /** PostgreSQL's SQLSTATE and message of a refusal: "SQLSTATE 22021: invalid byte sequence for encoding ...". */
    private static String why(Throwable refusal) {
        return "SQLSTATE " + DatabaseRefusals.sqlState(refusal) + ": "
                + (refusal instanceof PgException pg ? pg.getErrorMessage() : refusal.getMessage());
    }

    private void complete(Waiting<Q, R> waiting, R item) {
        onCallersContext(waiting, () -> waiting.emitter().complete(item));
    }

    private void fail(Waiting<Q, R> waiting, Throwable failure) {
        onCallersContext(waiting, () -> waiting.emitter().fail(failure));
    }

    private static void onCallersContext(Waiting<?, ?> waiting, Runnable task) {
        if (waiting.context() == null || waiting.context() == Vertx.currentContext()) {
            task.run();
        } else {
            waiting.context().runOnContext(ignored -> task.run());
        }
    }
}
