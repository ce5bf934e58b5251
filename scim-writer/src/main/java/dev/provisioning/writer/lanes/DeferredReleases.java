package dev.provisioning.writer.lanes;

import java.util.HashMap;
import java.util.Map;

import io.smallrye.mutiny.Uni;

/**
 * Releases a tenant's deferred operations as its lane drains (issue 13), not on a timer only: when an operation of the
 * tenant's lane is done and the tenant has deferred operations, the freed room is filled with them at once.
 *
 * <ul>
 * <li>Coalesced: at most one release per tenant in flight. What is done meanwhile is looked at when it ends: the
 * tenant's room is then larger, so releases grow with the rate the lane drains (one claim statement per batch, not per
 * operation).</li>
 * <li>Sized to the room: a release asks for the lane's {@link Lanes#room} at most, which counts the rooms reserved for
 * operations released before and not arrived yet ({@link Lanes#reserve}, done by the {@link Release} before it
 * hands them back), so the lane does not overshoot and defer them again; and for {@link Lanes#releaseBatch} at least,
 * waiting for more room below that.</li>
 * <li>A tenant is known to have deferred operations when this replica deferred one (a deferral done in its lane) or
 * {@link #deferred} says so (the timer's look at the {@code escrow} table: other replicas, a restart). It stops
 * counting as such when a release claimed fewer than it asked for and nothing was deferred meanwhile, or when a
 * release failed (the timer finds it again).</li>
 * </ul>
 * Plain Java (Mutiny only), thread-safe; {@link Release} does the claiming and hands the operations back (those of
 * the partitions this replica holds, straight into the lane).
 */
public final class DeferredReleases implements Lanes.Listener {

    /** Claims deferred operations of a tenant and hands them back to its lane. */
    public interface Release {

        /**
         * Claims up to {@code limit} of the tenant's due deferred operations (oldest first), reserves their keys in the
         * tenant's lane ({@link Lanes#reserve}) and hands them back: admitted into the lane, or republished.
         *
         * @return how many it claimed; fails if the claim or a republish failed
         */
        Uni<Integer> release(String tenant, int limit);
    }

    /** A tenant with deferred operations. Guarded by the {@link DeferredReleases} instance. */
    private static final class Tenant {
        /** A release of the tenant is in flight. */
        boolean releasing;
        /** An operation of the tenant was deferred since the release in flight began. */
        boolean deferredMeanwhile;
    }

    private final Lanes lanes;
    private final Release release;
    /** The tenants known to have deferred operations. */
    private final Map<String, Tenant> tenants = new HashMap<>();

    public DeferredReleases(Lanes lanes, Release release) {
        this.lanes = lanes;
        this.release = release;
    }

    @Override
    public void operationDone(String tenant, boolean deferred) {
        if (deferred) {
            deferred(tenant);
        } else {
            releaseIfRoom(tenant);
        }
    }

    /** The tenant has deferred operations (deferred here, or found in the {@code escrow} table): release if room. */
    public void deferred(String tenant) {
        synchronized (this) {
            Tenant t = tenants.computeIfAbsent(tenant, k -> new Tenant());
            if (t.releasing) {
                t.deferredMeanwhile = true;
                return;
            }
        }
        releaseIfRoom(tenant);
    }

    /** Whether a release of the tenant is in flight. */
    public synchronized boolean releasing(String tenant) {
        Tenant t = tenants.get(tenant);
        return t != null && t.releasing;
    }

    /** Starts a release of the tenant if it has deferred operations, none is in flight and its lane has room. */
    private void releaseIfRoom(String tenant) {
        int limit;
        synchronized (this) {
            Tenant t = tenants.get(tenant);
            if (t == null || t.releasing) {
                return;
            }
            limit = lanes.room(tenant);
            if (limit < lanes.releaseBatch()) {
                return;
            }
            t.releasing = true;
            t.deferredMeanwhile = false;
        }
        Uni<Integer> work;
        try {
            work = release.release(tenant, limit);
        } catch (RuntimeException e) {
            work = Uni.createFrom().failure(e);
        }
        work.subscribe().with(claimed -> released(tenant, limit, claimed), failure -> failed(tenant));
    }

    private void released(String tenant, int limit, int claimed) {
        synchronized (this) {
            Tenant t = tenants.get(tenant);
            t.releasing = false;
            if (claimed < limit && !t.deferredMeanwhile) {
                tenants.remove(tenant);
                return;
            }
        }
        releaseIfRoom(tenant);
    }

    private synchronized void failed(String tenant) {
        tenants.remove(tenant);
    }
}
