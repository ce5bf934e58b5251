package dev.provisioning.telemetry;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.eclipse.microprofile.reactive.messaging.Message;

import io.opentelemetry.context.Context;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.smallrye.reactive.messaging.TracingMetadata;

/**
 * One output channel's bound on sends in flight: at most {@code max} messages handed to its emitter and not acked yet,
 * whoever sends them. A SmallRye {@code Emitter}/{@code MutinyEmitter} takes only as many messages as its Kafka sink
 * requested ({@code max-inflight-messages}, SmallRye's default {@value #SINK_REQUESTS}) plus its buffer (128 by
 * default); past that a send fails at once with {@code SRMSG00034 Insufficient downstream requests}. A service whose
 * sends come from many independent places (tenants' lanes, jobs' waits, cycles, requests) goes through one
 * {@code SendLimit} per emitter, so no burst of them, however wide, ever reaches the buffer.
 *
 * <ul>
 * <li>A send beyond the bound waits (asynchronously: no thread is held) and is handed to the emitter when an earlier
 * one is acked or failed, on that thread.</li>
 * <li>Sends enter the emitter in the order they were subscribed (one drain loop at a time), so a caller's order per
 * key holds, as if each were sent at once.</li>
 * <li>The returned Uni completes when the broker acked the message, or fails with the emitter's failure; the room is
 * given back either way. A message asked for is sent even if its caller cancelled meanwhile.</li>
 * <li>Tracing: a message without {@link TracingMetadata} is given the context current when it was asked for, so its
 * producer span continues the caller's trace even when another thread hands it to the emitter.</li>
 * </ul>
 * Plain Java and Mutiny, thread-safe.
 *
 * @param <T> the emitter's payload type
 */
public final class SendLimit<T> {

    /** SmallRye Kafka's default {@code max-inflight-messages} of an outgoing channel. */
    public static final int SINK_REQUESTS = 1024;
    /**
     * The bound the services use: half of {@link #SINK_REQUESTS}, so even the few sends handed on between an ack and
     * the sink's next request never need the emitter's buffer.
     */
    public static final int DEFAULT_MAX = SINK_REQUESTS / 2;

    private final int max;
    private final Function<Message<T>, Uni<Void>> emitter;
    private final AtomicInteger drains = new AtomicInteger();
    /** Guarded by {@code this}. */
    private final ArrayDeque<Pending<T>> waiting = new ArrayDeque<>();
    /** Guarded by {@code this}. */
    private int inFlight;
    /** Guarded by {@code this}. */
    private int peak;

    private record Pending<T>(Message<T> message, UniEmitter<? super Void> caller) {
    }

    /**
     * @param max sends in flight at most; below 1 counts as 1. Must not exceed the channel's
     *        {@code max-inflight-messages}.
     * @param emitter hands one message to the emitter (e.g. {@code emitter::sendMessage}); its Uni completes when the
     *        message is acked
     */
    public SendLimit(int max, Function<Message<T>, Uni<Void>> emitter) {
        this.max = Math.max(1, max);
        this.emitter = emitter;
    }

    /**
     * Sends the message within the bound (see the class comment).
     *
     * @return completes when the message is acked; fails with the send's failure
     */
    public Uni<Void> send(Message<T> message) {
        Message<T> traced = TracingMetadata.fromMessage(message).isPresent()
                ? message
                : MessageTraces.continuing(message, Context.current());
        return Uni.createFrom().emitter(caller -> {
            synchronized (this) {
                waiting.add(new Pending<>(traced, caller));
            }
            drain();
        });
    }

    /** Messages handed to the emitter and not acked yet (0 to {@code max}). */
    public synchronized int inFlight() {
        return inFlight;
    }

    /** Messages waiting for room. */
    public synchronized int waiting() {
        return waiting.size();
    }

    /**
     * The most messages that were in flight at once since the previous call (or since creation), then starts a new
     * period from those in flight now. For tests and diagnostics.
     */
    public synchronized int takePeak() {
        int highest = peak;
        peak = inFlight;
        return highest;
    }

    /** Hands waiting messages to the emitter while there is room; one thread at a time, the others leave it work. */
    private void drain() {
        if (drains.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            for (Pending<T> next; (next = take()) != null;) {
                Pending<T> sending = next;
                Uni<Void> sent;
                try {
                    sent = emitter.apply(sending.message());
                } catch (RuntimeException e) {
                    sent = Uni.createFrom().failure(e);
                }
                sent.subscribe().with(ignored -> finished(sending, null), failure -> finished(sending, failure));
            }
            missed = drains.addAndGet(-missed);
        } while (missed != 0);
    }

    /** The oldest waiting message, counted in flight, if there is room for it. */
    private synchronized Pending<T> take() {
        if (inFlight >= max || waiting.isEmpty()) {
            return null;
        }
        inFlight++;
        peak = Math.max(peak, inFlight);
        return waiting.poll();
    }

    /** A send is acked or failed: its room goes to the next waiting message, then its caller learns the outcome. */
    private void finished(Pending<T> pending, Throwable failure) {
        synchronized (this) {
            inFlight--;
        }
        drain();
        if (failure == null) {
            pending.caller().complete(null);
        } else {
            pending.caller().fail(failure);
        }
    }
}
