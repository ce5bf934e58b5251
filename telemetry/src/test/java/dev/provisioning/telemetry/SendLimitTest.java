package dev.provisioning.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.smallrye.reactive.messaging.TracingMetadata;

/**
 * One emitter's bound on sends in flight, against a fake emitter whose acks the test gives: room, waiting beyond it,
 * the order sends enter the emitter, failures, and many threads at once.
 */
class SendLimitTest {

    /** The fake emitter: what was handed to it, in order, and the acks it still owes. */
    final List<String> handed = new ArrayList<>();
    final List<UniEmitter<? super Void>> unacked = new ArrayList<>();

    private synchronized Uni<Void> emit(Message<String> message) {
        return Uni.createFrom().emitter(ack -> {
            synchronized (this) {
                handed.add(message.getPayload());
                unacked.add(ack);
            }
        });
    }

    private synchronized UniEmitter<? super Void> oldestUnacked() {
        return unacked.remove(0);
    }

    @Test
    void sendsBeyondTheBoundWaitForAnAckAndEnterTheEmitterInOrder() {
        SendLimit<String> limit = new SendLimit<>(2, this::emit);
        List<String> acked = new ArrayList<>();

        for (String m : List.of("m1", "m2", "m3", "m4")) {
            limit.send(Message.of(m)).subscribe().with(ignored -> acked.add(m));
        }

        assertThat(handed).containsExactly("m1", "m2");
        assertThat(limit.inFlight()).isEqualTo(2);
        assertThat(limit.waiting()).isEqualTo(2);
        assertThat(acked).as("a send completes only when acked").isEmpty();

        oldestUnacked().complete(null);

        assertThat(acked).containsExactly("m1");
        assertThat(handed).as("m1's room went to m3, the oldest waiting").containsExactly("m1", "m2", "m3");
        assertThat(limit.inFlight()).isEqualTo(2);

        oldestUnacked().complete(null);
        oldestUnacked().complete(null);
        oldestUnacked().complete(null);

        assertThat(acked).containsExactly("m1", "m2", "m3", "m4");
        assertThat(limit.inFlight()).isZero();
        assertThat(limit.takePeak()).isEqualTo(2);
    }

    @Test
    void aFailedSendFailsItsCallerAndGivesItsRoomBack() {
        SendLimit<String> limit = new SendLimit<>(1, this::emit);
        List<Throwable> failures = new ArrayList<>();
        List<String> acked = new ArrayList<>();

        limit.send(Message.of("m1")).subscribe().with(ignored -> acked.add("m1"), failures::add);
        limit.send(Message.of("m2")).subscribe().with(ignored -> acked.add("m2"), failures::add);
        oldestUnacked().fail(new IllegalStateException("broker refused m1"));

        assertThat(failures).extracting(Throwable::getMessage).containsExactly("broker refused m1");
        assertThat(handed).containsExactly("m1", "m2");
        oldestUnacked().complete(null);
        assertThat(acked).containsExactly("m2");
        assertThat(limit.inFlight()).isZero();
    }

    @Test
    void anEmitterThatThrowsFailsTheSendAndTheNextOneStillGoes() {
        AtomicInteger calls = new AtomicInteger();
        SendLimit<String> limit = new SendLimit<>(1, m -> {
            if (calls.getAndIncrement() == 0) {
                throw new IllegalStateException("SRMSG00034 Insufficient downstream requests");
            }
            return Uni.createFrom().voidItem();
        });
        List<Throwable> failures = new ArrayList<>();
        List<String> acked = new ArrayList<>();

        limit.send(Message.of("m1")).subscribe().with(ignored -> acked.add("m1"), failures::add);
        limit.send(Message.of("m2")).subscribe().with(ignored -> acked.add("m2"), failures::add);

        assertThat(failures).extracting(Throwable::getMessage).containsExactly(
                "SRMSG00034 Insufficient downstream requests");
        assertThat(acked).containsExactly("m2");
        assertThat(limit.inFlight()).isZero();
    }

    @Test
    void aMessageIsGivenTheCallersTraceContextUnlessItHasOne() {
        List<Message<String>> seen = new ArrayList<>();
        SendLimit<String> limit = new SendLimit<>(1, m -> {
            seen.add(m);
            return Uni.createFrom().voidItem();
        });
        Message<String> own = Message.of("own").addMetadata(TracingMetadata.withCurrent(
                io.opentelemetry.context.Context.root()));

        limit.send(Message.of("plain")).await().indefinitely();
        limit.send(own).await().indefinitely();

        assertThat(TracingMetadata.fromMessage(seen.get(0))).isPresent();
        assertThat(seen.get(1)).isSameAs(own);
    }

    @Test
    void manyThreadsSendingAtOnceNeverExceedTheBoundAndEverySendCompletes() throws InterruptedException {
        int threads = 8;
        int perThread = 500;
        AtomicInteger outstanding = new AtomicInteger();
        AtomicInteger highest = new AtomicInteger();
        ExecutorService acks = Executors.newFixedThreadPool(4);
        ExecutorService senders = Executors.newFixedThreadPool(threads);
        try {
            SendLimit<String> limit = new SendLimit<>(16, m -> Uni.createFrom().emitter(ack -> {
                highest.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
                acks.execute(() -> {
                    outstanding.decrementAndGet();
                    ack.complete(null);
                });
            }));
            CountDownLatch done = new CountDownLatch(threads * perThread);
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            for (int t = 0; t < threads; t++) {
                senders.execute(() -> {
                    for (int i = 0; i < perThread; i++) {
                        limit.send(Message.of("m")).subscribe().with(ignored -> done.countDown(), f -> {
                            failures.add(f);
                            done.countDown();
                        });
                    }
                });
            }

            assertThat(done.await(2, TimeUnit.MINUTES)).as("every send completed").isTrue();
            assertThat(failures).isEmpty();
            assertThat(highest.get()).isBetween(1, 16);
            assertThat(limit.inFlight()).isZero();
            assertThat(limit.waiting()).isZero();
        } finally {
            senders.shutdownNow();
            acks.shutdownNow();
        }
    }
}
