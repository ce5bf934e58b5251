package dev.provisioning.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.Uni;

class ScheduledRoundsTest {

    @Test
    void aStopWaitsForTheRoundUnderWayAndStartsNoNewOne() throws Exception {
        ScheduledRounds rounds = new ScheduledRounds();
        CompletableFuture<Void> digest = new CompletableFuture<>();
        CompletableFuture<Void> round = rounds.run(() -> Uni.createFrom().completionStage(digest))
                .subscribeAsCompletionStage().toCompletableFuture();
        assertThat(rounds.underway()).isEqualTo(1);

        CompletableFuture<Boolean> stop = CompletableFuture.supplyAsync(() -> rounds.stop(Duration.ofMinutes(1)));
        await().atMost(Duration.ofMinutes(1)).until(rounds::stopping);
        assertThat(stop).as("the stop, while the round runs").isNotDone();

        AtomicInteger started = new AtomicInteger();
        rounds.run(() -> {
            started.incrementAndGet();
            return Uni.createFrom().voidItem();
        }).await().indefinitely();
        assertThat(started).as("rounds started after the stop").hasValue(0);

        digest.complete(null);
        assertThat(stop.get(1, TimeUnit.MINUTES)).as("every round ended within the grace").isTrue();
        assertThat(round).isDone();
        assertThat(rounds.underway()).isZero();
    }

    @Test
    void aRoundThatOutlastsTheGraceIsAbandonedAndTheStopSaysSo() {
        ScheduledRounds rounds = new ScheduledRounds();
        rounds.run(() -> Uni.createFrom().nothing()).subscribe().with(ignored -> {
        });

        assertThat(rounds.stop(Duration.ZERO)).isFalse();
        assertThat(rounds.stopping()).isTrue();
        assertThat(rounds.underway()).isEqualTo(1);
    }

    @Test
    void failedAndCancelledRoundsEndToo() {
        ScheduledRounds rounds = new ScheduledRounds();
        rounds.run(() -> Uni.createFrom().failure(new IllegalStateException("database down"))).subscribe()
                .with(ignored -> {
                }, failure -> {
                });
        rounds.run(() -> {
            throw new IllegalStateException("not even built");
        }).subscribe().with(ignored -> {
        }, failure -> {
        });
        rounds.run(() -> Uni.createFrom().nothing()).subscribe().with(ignored -> {
        }).cancel();

        assertThat(rounds.underway()).isZero();
        assertThat(rounds.stop(Duration.ZERO)).isTrue();
    }

    @Test
    void noStopNoWait() {
        assertThat(new ScheduledRounds().stop(Duration.ZERO)).isTrue();
    }

    @Test
    void aFailureWorthRetryingIsRetriedAfterABackoffUpToTheRetriesThenItIsTheUnisFailure() {
        ScheduledRounds rounds = new ScheduledRounds();
        AtomicInteger attempts = new AtomicInteger();
        List<Throwable> told = new CopyOnWriteArrayList<>();

        Uni<String> retried = rounds.retried(() -> Uni.createFrom().failure(new IllegalStateException(
                "attempt " + attempts.incrementAndGet())), e -> true, told::add, Duration.ofMillis(1),
                Duration.ofMillis(2), 3);

        assertThatThrownBy(() -> retried.await().atMost(Duration.ofMinutes(1))).hasMessage("attempt 4");
        assertThat(told).extracting(Throwable::getMessage).containsExactly("attempt 1", "attempt 2", "attempt 3");
    }

    @Test
    void aFailureNotWorthRetryingIsNotRetried() {
        ScheduledRounds rounds = new ScheduledRounds();
        AtomicInteger attempts = new AtomicInteger();

        Uni<String> retried = rounds.retried(() -> Uni.createFrom().failure(new IllegalArgumentException(
                "refused " + attempts.incrementAndGet())), e -> !(e instanceof IllegalArgumentException), e -> {
                }, Duration.ofMillis(1), Duration.ofMillis(2), 3);

        assertThatThrownBy(() -> retried.await().atMost(Duration.ofMinutes(1))).hasMessage("refused 1");
    }

    @Test
    void aRetryWaitingForItsBackoffGivesUpAtOnceWhenTheRetriesEndWithTheFailureItWaitedToRetry() throws Exception {
        ScheduledRounds rounds = new ScheduledRounds();
        AtomicInteger attempts = new AtomicInteger();
        CompletableFuture<String> result = rounds.retried(() -> Uni.createFrom().<String>failure(
                new IllegalStateException("Pool closed " + attempts.incrementAndGet())), e -> true, e -> {
                }, Duration.ofHours(1), Duration.ofHours(1), 6).subscribeAsCompletionStage().toCompletableFuture();
        await().atMost(Duration.ofMinutes(1)).until(() -> attempts.get() == 1);
        assertThat(result).as("in its hour of backoff").isNotDone();

        rounds.endRetries();

        assertThatThrownBy(() -> result.get(1, TimeUnit.MINUTES)).isInstanceOf(ExecutionException.class)
                .hasRootCauseMessage("Pool closed 1");
        assertThat(attempts).hasValue(1);
        assertThat(rounds.retriesEnded()).isTrue();
        assertThat(rounds.stopping()).as("rounds still start until the stop").isFalse();

        // once the retries ended, a new failure is not retried at all
        AtomicInteger later = new AtomicInteger();
        assertThatThrownBy(() -> rounds.retried(() -> Uni.createFrom().failure(new IllegalStateException(
                "later " + later.incrementAndGet())), e -> true, e -> {
                }, Duration.ofMillis(1), Duration.ofMillis(1), 6).await().atMost(Duration.ofMinutes(1)))
                .hasMessage("later 1");
    }

    @Test
    void theBackoffDoublesUpToItsMaximum() {
        Duration first = Duration.ofMillis(500);
        Duration max = Duration.ofSeconds(8);
        assertThat(List.of(0, 1, 2, 3, 4, 5, 40)).map(n -> ScheduledRounds.backoffOf(first, max, n))
                .containsExactly(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2),
                        Duration.ofSeconds(4), Duration.ofSeconds(8), Duration.ofSeconds(8), Duration.ofSeconds(8));
    }

    @Test
    void aDrainLetsTheRoundsUnderWayEndThenStartsNoNewOne() throws Exception {
        ScheduledRounds rounds = new ScheduledRounds();
        CompletableFuture<Void> poll = new CompletableFuture<>();
        rounds.run(() -> Uni.createFrom().completionStage(poll)).subscribe().with(ignored -> {
        });
        AtomicInteger paused = new AtomicInteger();

        CompletableFuture<Boolean> drain = CompletableFuture.supplyAsync(() -> rounds.drain(Duration.ofMillis(50),
                Duration.ofMinutes(1), paused::incrementAndGet));
        await().atMost(Duration.ofMinutes(1)).until(() -> paused.get() > 0);
        assertThat(rounds.stopping()).as("while a poll fetched before the stop is handled").isFalse();
        assertThat(rounds.retriesEnded()).isTrue();
        poll.complete(null);

        assertThat(drain.get(1, TimeUnit.MINUTES)).as("every poll ended within the grace").isTrue();
        assertThat(rounds.stopping()).isTrue();
        assertThat(rounds.run(() -> Uni.createFrom().item("handled"), "left").await().indefinitely())
                .as("a poll delivered after the drain").isEqualTo("left");
    }
}
