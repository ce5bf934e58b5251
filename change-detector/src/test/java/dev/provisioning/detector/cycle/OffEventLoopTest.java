package dev.provisioning.detector.cycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * A cycle's plan (seconds for 100,000 users) runs on a worker thread and the cycle goes on on its own Vert.x context,
 * so the event loop that serves every other job is free meanwhile.
 */
class OffEventLoopTest {

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void theWorkRunsOffTheEventLoopAndItsResultComesBackOnTheCallersContext() throws Exception {
        Context context = vertx.getOrCreateContext();
        CompletableFuture<String> workThread = new CompletableFuture<>();
        CompletableFuture<Boolean> loopFreeDuringWork = new CompletableFuture<>();
        CompletableFuture<Context> resultContext = new CompletableFuture<>();

        context.runOnContext(ignored -> CycleRunner.offEventLoop(() -> {
            workThread.complete(Thread.currentThread().getName());
            // the event loop answers another task while the work is still running (on the loop it would wait for it)
            CompletableFuture<Void> other = new CompletableFuture<>();
            context.runOnContext(x -> other.complete(null));
            loopFreeDuringWork.complete(await(other));
            return "plan";
        }).subscribe().with(item -> resultContext.complete(Vertx.currentContext()),
                resultContext::completeExceptionally));

        assertThat(workThread.get(10, TimeUnit.SECONDS)).doesNotContain("eventloop");
        assertThat(loopFreeDuringWork.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(resultContext.get(10, TimeUnit.SECONDS)).isSameAs(context);
    }

    @Test
    void aFailureOfTheWorkFailsTheUniOnTheCallersContext() throws Exception {
        Context context = vertx.getOrCreateContext();
        CompletableFuture<Context> failedOn = new CompletableFuture<>();
        CompletableFuture<Throwable> failure = new CompletableFuture<>();

        context.runOnContext(ignored -> CycleRunner.<String>offEventLoop(() -> {
            throw new IllegalStateException("the source is empty");
        }).subscribe().with(item -> failure.complete(null), e -> {
            failedOn.complete(Vertx.currentContext());
            failure.complete(e);
        }));

        assertThat(failure.get(10, TimeUnit.SECONDS)).hasMessage("the source is empty");
        assertThat(failedOn.get(10, TimeUnit.SECONDS)).isSameAs(context);
    }

    private static boolean await(CompletableFuture<Void> other) {
        try {
            other.get(Duration.ofSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
