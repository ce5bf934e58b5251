package dev.provisioning.writer.throughput;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

import org.junit.jupiter.api.Test;

/** The rate's arithmetic on a fake clock (nanoseconds); no test reads the real clock. */
class AdaptiveRateTest {

    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;

    @Test
    void reservationsAreSpacedOneOverTheRateApart() {
        AdaptiveRate rate = new AdaptiveRate(25, 0.5, 0.05, 0);

        assertThat(rate.reserve(0).waitNanos()).isZero();
        assertThat(rate.reserve(0).waitNanos()).isEqualTo(40 * MS);
        assertThat(rate.reserve(0).waitNanos()).isEqualTo(80 * MS);
        // a caller that comes after its slot sends at once
        assertThat(rate.reserve(200 * MS).waitNanos()).isZero();
    }

    @Test
    void aThousandBackToBackReservationsTakeFortySecondsAtTwentyFivePerSecond() {
        AdaptiveRate rate = new AdaptiveRate(25, 0.5, 0.05, 0);
        long last = 0;
        for (int i = 0; i < 1000; i++) {
            last = rate.reserve(0).waitNanos();
        }
        assertThat(last).isEqualTo(999 * 40 * MS);
    }

    @Test
    void aBurstOf429OnThirtyTwoRequestsInFlightHalvesTheRateOnce() {
        AdaptiveRate rate = new AdaptiveRate(25, 0.5, 0.05, 0);
        long[] sent = new long[32];
        for (int i = 0; i < 32; i++) {
            sent[i] = rate.reserve(0).waitNanos();
        }
        int halvings = 0;
        for (int i = 0; i < 32; i++) {
            // every request in flight is answered 429 (Retry-After 1 s) once the burst begins at 1.3 s
            if (rate.throttled(1300 * MS + i * MS, sent[i], S)) {
                halvings++;
            }
        }

        assertThat(halvings).isOne();
        assertThat(rate.rate()).isEqualTo(12.5);
    }

    @Test
    void a429ToARequestSentAfterTheHalvingIsANewSignal() {
        AdaptiveRate rate = new AdaptiveRate(20, 1, 0.05, 0);

        assertThat(rate.throttled(100 * MS, 0, 0)).isTrue();
        assertThat(rate.throttled(150 * MS, 50 * MS, 0)).isFalse(); // sent before the halving: the same round trip
        assertThat(rate.throttled(400 * MS, 200 * MS, 0)).isTrue(); // sent after it: the target still throttles

        assertThat(rate.rate()).isEqualTo(5);
    }

    @Test
    void aRetryAfterShorterThanTheSpacingDoesNotBringTheNextSlotForward() {
        // a replica's share of 0.5 requests/s: one slot every 2 s
        AdaptiveRate rate = new AdaptiveRate(0.5, 0.1, 0.05, 0);
        assertThat(rate.reserve(0).waitNanos()).isZero();

        rate.throttled(10 * MS, 0, S); // Retry-After 1 s: paused until 1.01 s

        // the next request leaves no earlier than 2 s after the last slot, not when the 1 s pause ends
        assertThat(1010 * MS + rate.reserve(1010 * MS).waitNanos()).isGreaterThanOrEqualTo(2 * S);
    }

    @Test
    void retryAfterVoidsTheSlotsReservedBeforeItAndNoSlotStartsBeforeItHasPassed() {
        AdaptiveRate rate = new AdaptiveRate(25, 0.5, 0.05, 0);
        AdaptiveRate.Slot early = rate.reserve(0);
        AdaptiveRate.Slot queued = rate.reserve(0); // 40 ms, still waiting when the 429 comes

        rate.throttled(10 * MS, 0, 2 * S);

        assertThat(rate.current(queued)).isFalse();
        assertThat(rate.pausedFor(40 * MS)).isEqualTo(2 * S - 30 * MS);
        AdaptiveRate.Slot again = rate.reserve(40 * MS);
        assertThat(again.waitNanos()).isEqualTo(2 * S - 30 * MS);
        assertThat(rate.current(again)).isTrue();
        // after the pause the reservations are spaced at the halved rate, from the pause's end
        assertThat(rate.reserve(40 * MS).waitNanos()).isEqualTo(2 * S - 30 * MS + 80 * MS);
        // a later 429 with a shorter Retry-After does not shorten the pause
        rate.throttled(20 * MS, 0, S);
        assertThat(rate.current(again)).isTrue();
        assertThat(rate.current(early)).isFalse();
    }

    @Test
    void theRateRecoversOnAnswersToRequestsSentAfterTheHalvingUpToTheCeiling() {
        AdaptiveRate rate = new AdaptiveRate(20, 1, 0.05, 0);
        rate.throttled(100 * MS, 0, 0);

        rate.answered(50 * MS); // sent before the halving: no evidence either way
        assertThat(rate.rate()).isEqualTo(10);

        for (int i = 0; i < 10; i++) {
            rate.answered(200 * MS);
        }
        assertThat(rate.rate()).isEqualTo(20);
        rate.answered(300 * MS);
        assertThat(rate.rate()).isEqualTo(20);
    }

    @Test
    void theRateNeverFallsBelowTheFloor() {
        AdaptiveRate rate = new AdaptiveRate(4, 1, 0, 0);
        for (int i = 0; i < 10; i++) {
            rate.throttled(i * 2 * S + 1, i * 2 * S, 0);
        }
        assertThat(rate.rate()).isEqualTo(1);
    }

    @Test
    void aNewCeilingMovesAnUnthrottledRateAndCapsAThrottledOne() {
        AdaptiveRate rate = new AdaptiveRate(25, 1, 0, 0);
        rate.ceiling(12.5);
        assertThat(rate.rate()).isEqualTo(12.5);
        rate.ceiling(25);
        assertThat(rate.rate()).isEqualTo(25);

        rate.throttled(0, 0, 0);
        rate.ceiling(50);
        assertThat(rate.rate()).isEqualTo(12.5);
    }

    /**
     * The bench's slow tenant on a fake clock: 32 callers (the gate's in-flight cap) through the {@link Pacer} against a target that answers in
     * 300 ms, except for 1 s in every 3 s when it answers every request 429 at once (a 20 ms round trip) with
     * {@code Retry-After: 1}. A
     * throttled request is retried after its Retry-After (as {@code RetryPolicy} does), through the rate again.
     */
    @Test
    void underBurstsOf429TheTenantHonoursRetryAfterKeepsItsBudgetAndUsesItsOpenWindows() {
        TenantSimulation sim = new TenantSimulation(new AdaptiveRate(25, 0.5, 0.05, 0), 32, 300 * MS, 3 * S, S, S);

        sim.runUntil(30 * S);

        // never sent inside a Retry-After the target gave (after the 429 that gave it came back)
        for (long[] pause : sim.pauses) {
            assertThat(sim.sends).noneMatch(t -> t > pause[0] && t < pause[1]);
        }
        // never faster than the budget: consecutive sends at least 1/25 s apart
        for (int i = 1; i < sim.sends.size(); i++) {
            assertThat(sim.sends.get(i) - sim.sends.get(i - 1)).isGreaterThanOrEqualTo(40 * MS);
        }
        // one congestion signal per burst (two when the pause ends inside the burst's tail), not one per request
        assertThat(sim.halvings).isLessThanOrEqualTo(2 * sim.bursts());
        // the open windows (2 s in 3 s, less the first 429's round trip) are used: at 25 requests/s they hold
        // about 16 requests/s; the per-429 halving with a 5 %/s recovery got about 4
        assertThat(sim.successes / 30.0).isGreaterThan(12);
        // the burst's requests in flight are 429s, the requests after it are not
        assertThat(sim.throttled).isLessThan(sim.successes / 3);
    }

    @Test
    void afterTheLastBurstTheRateIsBackAtTheBudgetWithinAFewSecondsOfAnswers() {
        TenantSimulation sim = new TenantSimulation(new AdaptiveRate(25, 0.5, 0.05, 0), 32, 300 * MS, 3 * S, S,
                S);
        sim.burstsUntil = 4 * S; // bursts at 3-4 s only, then the target answers everything
        sim.runUntil(4 * S);
        assertThat(sim.rate.rate()).isLessThan(25);

        sim.runUntil(9 * S); // 1 s of Retry-After, then 4 s of answers
        assertThat(sim.rate.rate()).isEqualTo(25);
    }

    /**
     * A discrete-event model of one tenant's gate ({@link Pacer} over the {@link AdaptiveRate}, as in
     * {@link TenantGates}) and target, on a fake clock.
     */
    private static final class TenantSimulation {

        /** The target answers a 429 at once: only the round trip. */
        static final long THROTTLE_LATENCY = 20 * MS;

        final AdaptiveRate rate;
        final Pacer pacer;
        final long latency;
        final long burstEvery;
        final long burstLength;
        final long retryAfter;
        long burstsUntil = Long.MAX_VALUE;
        final List<Long> sends = new ArrayList<>();
        final List<long[]> pauses = new ArrayList<>();
        int halvings;
        int successes;
        int throttled;
        long now;
        private final PriorityQueue<Event> events = new PriorityQueue<>();
        private long sequence;

        /** Something that happens at a time: a caller's request, a timer of the pacer, an answer. */
        private record Event(long at, long order, Runnable action) implements Comparable<Event> {
            @Override
            public int compareTo(Event other) {
                return at != other.at ? Long.compare(at, other.at) : Long.compare(order, other.order);
            }
        }

        TenantSimulation(AdaptiveRate rate, int callers, long latency, long burstEvery, long burstLength,
                long retryAfter) {
            this.rate = rate;
            this.latency = latency;
            this.burstEvery = burstEvery;
            this.burstLength = burstLength;
            this.retryAfter = retryAfter;
            this.pacer = new Pacer(rate, () -> now, (delay, task) -> at(now + delay, task));
            for (int i = 0; i < callers; i++) {
                at(0, this::request);
            }
        }

        int bursts() {
            return (int) (Math.min(now, burstsUntil) / burstEvery) + 1;
        }

        void runUntil(long end) {
            while (!events.isEmpty() && events.peek().at() <= end) {
                Event next = events.poll();
                now = next.at();
                next.action().run();
            }
            now = end;
        }

        private void at(long time, Runnable action) {
            events.add(new Event(time, sequence++, action));
        }

        private void request() {
            pacer.submit(this::send);
        }

        /** Bursts of 429 start at every multiple of {@code burstEvery} (the first at 0) and last {@code burstLength}. */
        private boolean inBurst(long t) {
            return t < burstsUntil && t % burstEvery < burstLength;
        }

        private void send() {
            long sentAt = now;
            sends.add(sentAt);
            if (inBurst(sentAt)) {
                at(now + THROTTLE_LATENCY, () -> {
                    throttled++;
                    pauses.add(new long[]{now, now + retryAfter});
                    if (rate.throttled(now, sentAt, retryAfter)) {
                        halvings++;
                    }
                    at(now + retryAfter, this::request);
                });
            } else {
                at(now + latency, () -> {
                    successes++;
                    rate.answered(sentAt);
                    request();
                });
            }
        }
    }
}
