package dev.provisioning.writer.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;

import dev.provisioning.writer.Waits;

/**
 * {@link MicroBatcher#perKey} without a database: what the statement of a window is given when callers name one key
 * more than once, and which callers a failing statement fails. The windows are sized to the calls of a test and last
 * minutes, so a window runs when it is full, never by its time.
 */
class MicroBatcherTest {

    /** A write of {@code value} to {@code key}; {@code history} lists the values merged into it, in order. */
    record Write(String key, String value, String history) {

        Write(String key, String value) {
            this(key, value, value);
        }
    }

    private Vertx vertx;
    /** The rows each statement was given, statement by statement. */
    private final List<List<Write>> statements = new ArrayList<>();

    @BeforeEach
    void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stopVertx() {
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(Waits.OUTCOME.toMillis(),
                TimeUnit.MILLISECONDS).join();
    }

    @Test
    void callsOfOneKeyInAWindowAreMergedInCallOrderAndTheStatementGetsOneRowPerKeyInKeyOrder() {
        MicroBatcher<Write, Void> batcher = batcher(5);
        List<Uni<Void>> calls = List.of(batcher.submit(new Write("b", "1")), batcher.submit(new Write("a", "1")),
                batcher.submit(new Write("b", "2")), batcher.submit(new Write("a", "3")),
                batcher.submit(new Write("c", "1")));

        List<Void> completed = Uni.join().all(calls).andFailFast().await().atMost(Waits.OUTCOME);

        assertThat(completed).as("every caller completes, its own call").hasSize(5);
        assertThat(statements).containsExactly(List.of(new Write("a", "3", "1,3"), new Write("b", "2", "1,2"),
                new Write("c", "1", "1")));
    }

    @Test
    void aFailingWindowFailsOnlyItsOwnCallers() {
        MicroBatcher<Write, Void> batcher = batcher(2);
        List<CompletableFuture<Throwable>> outcomes = new ArrayList<>();
        outcomes.add(outcome(batcher.submit(new Write("a", "1"))));
        outcomes.add(outcome(batcher.submit(new Write("b", "refused"))));
        outcomes.add(outcome(batcher.submit(new Write("a", "2"))));
        outcomes.add(outcome(batcher.submit(new Write("b", "2"))));

        List<Throwable> failures = outcomes.stream()
                .map(f -> f.orTimeout(Waits.OUTCOME.toMillis(), TimeUnit.MILLISECONDS).join()).toList();

        assertThat(failures.get(0)).as("the other caller of the failing window").hasMessage("refused");
        assertThat(failures.get(1)).as("the refused call's caller").hasMessage("refused");
        assertThat(failures.get(2)).as("a caller of the next window").isNull();
        assertThat(failures.get(3)).as("a caller of the next window").isNull();
        assertThat(statements).as("two statements, one per window").hasSize(2);
        assertThat(statements.get(1)).containsExactly(new Write("a", "2"), new Write("b", "2"));
    }

    /** A batcher whose statement records its rows, and fails when one of them is {@code refused}. */
    private MicroBatcher<Write, Void> batcher(int size) {
        return MicroBatcher.perKey(vertx, size, Waits.BURST, Write::key,
                (earlier, later) -> new Write(later.key(), later.value(), earlier.history() + "," + later.value()),
                rows -> {
                    synchronized (statements) {
                        statements.add(rows);
                    }
                    return rows.stream().anyMatch(r -> r.value().equals("refused"))
                            ? Uni.createFrom().failure(new IllegalStateException("refused"))
                            : Uni.createFrom().voidItem();
                });
    }

    private static CompletableFuture<Throwable> outcome(Uni<Void> call) {
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        call.subscribe().with(ignored -> outcome.complete(null), outcome::complete);
        return outcome;
    }
}
