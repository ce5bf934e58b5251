package dev.provisioning.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
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
}
