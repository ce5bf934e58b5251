package dev.provisioning.writer.throughput;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Whether a tenant answers at all: a circuit breaker per tenant, so that an outage of one Druva tenant turns its
 * queued operations into escrowed Failure results within minutes, instead of each of them spending its whole retry
 * budget in turn (which would hold the tenant's operations, and the cycles waiting for them, for hours).
 *
 * <ul>
 * <li>Closed: every operation is carried out. Any HTTP answer that is not a server error or a 429 is recorded
 * ({@link #answered}).</li>
 * <li>Open: an operation exhausted its retry budget on transient failures ({@link #exhausted}) and no request to the
 * tenant was answered for the whole budget ({@code window}, {@code writer.retry.max-duration}): the tenant is down.
 * One object that keeps failing among answered requests never opens it.</li>
 * <li>While open, {@link #admits} refuses operations (the caller escrows them without sending, due again after a probe
 * interval: they did not fail themselves), except one probe every {@code probeInterval}; the first answered request
 * closes it again, and {@link #onRecovery} retries at once what the tenant's outage escrowed.</li>
 * </ul>
 * Plain Java, the clock passed in; thread-safe.
 */
public final class TenantHealth {

    private final Duration window;
    private final Duration probeInterval;
    private final Map<String, State> tenants = new ConcurrentHashMap<>();
    private volatile Consumer<String> onRecovery = tenant -> {
    };

    private static final class State {
        Instant lastAnswer;
        Instant downSince;
        Instant nextProbe;
    }

    /**
     * @param window how long a tenant must have answered nothing for an exhausted operation to open the breaker
     * @param probeInterval how often an operation is let through to an open tenant, to see whether it is back
     */
    public TenantHealth(Duration window, Duration probeInterval) {
        this.window = window;
        this.probeInterval = probeInterval;
    }

    /** What to do when a tenant that was down answers again (retry what it escrowed). */
    public void onRecovery(Consumer<String> action) {
        this.onRecovery = action;
    }

    /** The tenant answered a request (2xx, or a 4xx that is not 429): it is up. */
    public void answered(String tenant, Instant now) {
        State state = tenants.computeIfAbsent(tenant, t -> new State());
        boolean wasDown;
        synchronized (state) {
            state.lastAnswer = now;
            wasDown = state.downSince != null;
            state.downSince = null;
        }
        if (wasDown) {
            onRecovery.accept(tenant);
        }
    }

    /** How often a down tenant is probed: when an operation it refused is due again. */
    public Duration probeInterval() {
        return probeInterval;
    }

    /**
     * An operation spent its retry budget on transient failures. Opens the breaker when nothing was answered within
     * the window.
     *
     * @return whether the tenant is now down
     */
    public boolean exhausted(String tenant, Instant now) {
        State state = tenants.computeIfAbsent(tenant, t -> new State());
        synchronized (state) {
            if (state.downSince == null
                    && (state.lastAnswer == null || !state.lastAnswer.isAfter(now.minus(window)))) {
                state.downSince = now;
                state.nextProbe = now.plus(probeInterval);
            }
            return state.downSince != null;
        }
    }

    /**
     * Whether an operation may be carried out now: always while the tenant is up; while it is down, once per probe
     * interval (that operation is the probe).
     */
    public boolean admits(String tenant, Instant now) {
        State state = tenants.get(tenant);
        if (state == null) {
            return true;
        }
        synchronized (state) {
            if (state.downSince == null) {
                return true;
            }
            if (!now.isBefore(state.nextProbe)) {
                state.nextProbe = now.plus(probeInterval);
                return true;
            }
            return false;
        }
    }

    /** Since when the tenant is down, if it is. */
    public Optional<Instant> downSince(String tenant) {
        State state = tenants.get(tenant);
        if (state == null) {
            return Optional.empty();
        }
        synchronized (state) {
            return Optional.ofNullable(state.downSince);
        }
    }
}
