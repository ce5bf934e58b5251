package dev.provisioning.writer.lanes;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

import io.smallrye.mutiny.Uni;

/**
 * One lane per Druva tenant: the operations admitted for it, each object's in the order they arrived, different
 * objects concurrently. Lanes do not wait for each other: a record is acked as soon as its own operation is done
 * ({@code commit-strategy=throttled} commits below the oldest record not yet acked), so a slow or throttled tenant
 * holds back its own operations only.
 *
 * <ul>
 * <li>Order: an object's operations run one after the other (its key's queue); at most {@code objectsPerTenant}
 * objects of one tenant run at once; keys become ready in arrival order.</li>
 * <li>Memory: a lane holds at most {@code recordsPerTenant} operations. An operation of an object the lane does not
 * hold yet, arriving at a full lane, is deferred (moved to PostgreSQL and acked, {@link Item#defer}); one whose
 * object is in the lane joins it, behind its object's earlier operations, so order holds. All lanes together are
 * bounded by the consumer's admission limit ({@link dev.provisioning.telemetry.AdmissionLimit}, {@code maxRecords}).
 * </li>
 * <li>Sharing (issue 12 item 3, "a slow or throttled target never delays another tenant's operations"): once the
 * operations in all lanes reach the high-water mark ({@value #HIGH_WATER_PERCENT} % of {@code maxRecords}), an
 * operation of a new object arriving at a lane that holds its share or more is deferred the same way. A lane's share
 * is the smaller of the total over the non-empty lanes (counting the arriving one) and the rooms left below
 * {@code maxRecords}, never below {@code objectsPerTenant}. So the rooms above the high-water go to the lanes below
 * their share, each new lane taking at most half of what is left: two held tenants can no longer fill the admission
 * limit with waiting operations and stall the consumer for every other tenant (they did with 5,000 records each:
 * every other tenant waited for the {@code maxWait} sweep). Operations of objects already in a lane still join it
 * (order holds), so those can still take rooms above the high-water. The total counts the lanes only: records
 * waiting in {@link JobWaits} for their job's configuration also hold admission rooms but are not in a lane.
 * Why {@value #HIGH_WATER_PERCENT} %: it leaves 400 of the default 2,000 rooms for the other tenants (about 6
 * tenants running all their {@code objectsPerTenant}=64 slots, and a lane below its share is admitted up to it),
 * while two busy tenants still hold 800 operations each in memory before deferring (a database write and a later
 * release per operation), over 10 times the 64 objects each runs at once.</li>
 * <li>Kept when it runs soon anyway (issue 13): a new object's operation that the rules above would defer is kept in
 * its lane when the lane is the only one holding operations and keeps up, that is it is expected to start within
 * {@code soon} ({@link #SOON}, 10 s) at the pace the lane carried operations out lately ({@link #runsSoon}).
 * Deferring it would only write it to PostgreSQL and read it back seconds later: a one-tenant flood (an initial sync)
 * then waits in Kafka, behind the consumer's admission limit, instead of going through the {@code escrow} table
 * (about 70 % of a 30,000-user initial sync did). A held or slow tenant carries out few operations, so its new objects
 * are deferred as before; once another tenant has an operation in a lane the rooms and shares apply to every lane
 * again; and one kept so that has not started within {@code soon} (its tenant slowed down) is deferred by
 * {@link #sweep}, so its room is given back within {@code soon} and a sweep's interval.</li>
 * <li>Time: {@link #sweep} defers the objects whose next operation has waited longer than {@code maxWait} without
 * starting (a tenant that slowed down after they were admitted), so no record stays unacked for long; an object with
 * an operation running keeps its later ones (they cannot overtake it).</li>
 * <li>Deferring is itself a step of the object's queue, so a later operation of the object waits behind it.</li>
 * <li>Release (issue 13): deferred operations come back as the lane drains. Every operation done (run or deferred)
 * is told to the {@link Listener} ({@link DeferredReleases} releases the tenant's deferred ones into the room freed).
 * Released operations may wait before they arrive here (for a room of the consumer's admission limit, or for their
 * job's configuration), so their room is {@linkplain #reserve reserved} for them
 * meanwhile: a reserved room counts as taken for every rule above (the lane's size, the total, the share), and the
 * released operation takes it back when it arrives ({@link #admit} of its key). So new objects arriving meanwhile do
 * not fill the room and have the released ones deferred again, in a loop. A reservation lapses after
 * {@code reservation} (an operation handed back to Kafka by a rebalance, or superseded, never arrives here).</li>
 * </ul>
 * Plain Java (Mutiny only), thread-safe. The work itself runs where {@link Item} starts it.
 */
public final class Lanes {

    /** One operation record in a lane. */
    public interface Item {

        /** The object's key ({@code jobId/objectId}): operations of one key run in order. */
        String key();

        /** When it was admitted. */
        Instant admittedAt();

        /** Carries the operation out and acks its record. Never fails. */
        Uni<Void> run();

        /** Moves the operation out of memory (PostgreSQL) and acks its record. Never fails. */
        Uni<Void> defer();
    }

    /** Told of every operation done in a lane; called on the thread that completed it, outside the lanes' lock. */
    public interface Listener {

        /**
         * An operation of the tenant's lane is done: its room is free again.
         *
         * @param deferred whether it was deferred (the tenant then has deferred operations) rather than carried out
         */
        void operationDone(String tenant, boolean deferred);
    }

    /** A room kept for a released operation until it arrives ({@link #admit}) or {@code until} passes. */
    private record Reservation(String tenant, String key, Instant until) {
    }

    private enum Mode {
        RUN, DEFER
    }

    private static final class Entry {
        final Item item;
        Mode mode;
        /**
         * Admitted beyond the lane's rooms because it was to start soon ({@link #runsSoon}): deferred by
         * {@link #sweep} once it waited {@code soon} without starting.
         */
        final boolean soon;

        Entry(Item item, Mode mode, boolean soon) {
            this.item = item;
            this.mode = mode;
            this.soon = soon;
        }
    }

    /** One tenant's lane. Guarded by the {@link Lanes} instance. */
    private static final class Lane {
        final Map<String, ArrayDeque<Entry>> byKey = new HashMap<>();
        /** Keys whose head is waiting to run (not started, {@link Mode#RUN}), in the order they became ready. */
        final LinkedHashSet<String> ready = new LinkedHashSet<>();
        /**
         * Keys whose head is to be deferred (not started, {@link Mode#DEFER}), in the order they became so: kept apart
         * from {@link #ready} so that starting them never walks the heads waiting for a running slot.
         */
        final ArrayDeque<String> deferring = new ArrayDeque<>();
        int running;
        int size;
        /** The start of the current second of {@link #doneNow}. */
        Instant second;
        /** Operations carried out (not deferred) in the current second, and in the one before it. */
        int doneNow;
        int doneBefore;

        /** One more operation carried out at {@code now}. */
        void done(Instant now) {
            tick(now);
            doneNow++;
        }

        /** Operations carried out per second lately: over the current second so far and the one before it. */
        double perSecond(Instant now) {
            tick(now);
            double seconds = 1 + Duration.between(second, now).toMillis() / 1000.0;
            return (doneBefore + doneNow) / seconds;
        }

        private void tick(Instant now) {
            if (second == null) {
                second = now;
                return;
            }
            long passed = Duration.between(second, now).toSeconds();
            if (passed >= 1) {
                doneBefore = passed == 1 ? doneNow : 0;
                doneNow = 0;
                second = second.plusSeconds(passed);
            }
        }
    }

    /** The high-water mark in percent of {@code maxRecords}: from it on, lanes at or above their share defer. */
    static final int HIGH_WATER_PERCENT = 80;

    /**
     * How soon an operation must be expected to start to be kept in a lane beyond its rooms ({@link #runsSoon}), and
     * how long it may then wait without starting before {@link #sweep} defers it: 10 s, over the 4.4 s that the
     * default 2,000 rooms take to drain at the 450 operations a second of a 2-core machine's initial sync.
     */
    public static final Duration SOON = Duration.ofSeconds(10);

    private final int maxRecords;
    private final int highWater;
    private final int recordsPerTenant;
    private final int objectsPerTenant;
    private final Duration maxWait;
    private final Duration reservation;
    private final Duration soon;
    private final Predicate<String> sole;
    private final Supplier<Instant> clock;
    /** The non-empty lanes (an empty lane is removed). */
    private final Map<String, Lane> lanes = new HashMap<>();
    /** Operations in all lanes (the sum of the lanes' sizes). */
    private int total;
    /** The live reservations per tenant, by key. */
    private final Map<String, Map<String, Reservation>> reserved = new HashMap<>();
    /** Every reservation made, in the order they lapse (those taken back stay here until they would have lapsed). */
    private final ArrayDeque<Reservation> lapsing = new ArrayDeque<>();
    /** Live reservations, all tenants (the sum of the sizes in {@link #reserved}). */
    private int reservedTotal;
    private volatile Listener listener = (tenant, deferred) -> {
    };

    /**
     * @param maxRecords the operation records admitted and not acked, all tenants together (the consumer's admission
     *        limit, {@code writer.lanes.max-records}); the high-water mark is {@value #HIGH_WATER_PERCENT} % of it
     * @param recordsPerTenant the operations one lane holds before it defers those of new objects
     * @param objectsPerTenant the objects of one tenant worked on at once
     * @param maxWait how long an object's next operation may wait in its lane without starting
     * @param reservation how long a room {@linkplain #reserve reserved} for a released operation is kept for it
     * @param soon how soon an operation must be expected to start to be kept beyond the lane's rooms, and how long it
     *        may then wait without starting ({@link #SOON} in the service; {@link Duration#ZERO} never keeps one)
     * @param sole whether a tenant (its lane's name) is the only one with a job that is not paused (the jobs the
     *        writer knows, {@code TenantGates.soleActiveTenant}): only then may its lane keep operations beyond its
     *        rooms ({@link #runsSoon}), since only then no other job's first operation can arrive behind its records
     *        in Kafka
     * @param clock the current time
     */
    public Lanes(int maxRecords, int recordsPerTenant, int objectsPerTenant, Duration maxWait, Duration reservation,
            Duration soon, Predicate<String> sole, Supplier<Instant> clock) {
        this.soon = soon;
        this.sole = sole;
        this.maxRecords = Math.max(1, maxRecords);
        this.highWater = (int) ((long) this.maxRecords * HIGH_WATER_PERCENT / 100);
        this.recordsPerTenant = Math.max(1, recordsPerTenant);
        this.objectsPerTenant = Math.max(1, objectsPerTenant);
        this.maxWait = maxWait;
        this.reservation = reservation;
        this.clock = clock;
    }

    /** Sets who is told of every operation done (one listener; the last one set). */
    public void listen(Listener listener) {
        this.listener = listener;
    }

    /** Admits an operation into its tenant's lane; it runs (or is deferred) when its turn comes. */
    public void admit(String tenant, Item item) {
        List<Entry> start;
        synchronized (this) {
            lapse();
            takeBack(tenant, item.key());
            Lane lane = lanes.computeIfAbsent(tenant, t -> new Lane());
            ArrayDeque<Entry> queue = lane.byKey.get(item.key());
            boolean known = queue != null;
            int taken = lane.size + reservedOf(tenant);
            boolean beyond = !known && (taken >= recordsPerTenant || occupied() >= highWater && taken >= share());
            boolean soon = beyond && runsSoon(tenant, lane);
            Mode mode = beyond && !soon ? Mode.DEFER : Mode.RUN;
            if (!known) {
                queue = new ArrayDeque<>();
                lane.byKey.put(item.key(), queue);
            }
            queue.add(new Entry(item, mode, soon));
            lane.size++;
            total++;
            if (!known) {
                becameReady(lane, item.key(), mode);
            }
            start = due(lane);
        }
        start(tenant, start);
    }

    /**
     * Defers the objects whose next operation waited longer than {@code maxWait} without starting (longer than
     * {@code soon} for one kept beyond its lane's rooms because it was to start soon), with every later operation of
     * theirs in the lane.
     *
     * @return how many operations are deferred
     */
    public int sweep() {
        Instant now = clock.get();
        Instant oldest = now.minus(maxWait);
        Instant oldestSoon = now.minus(soon);
        Map<String, List<Entry>> start = new HashMap<>();
        int deferred = 0;
        synchronized (this) {
            for (Map.Entry<String, Lane> tenant : lanes.entrySet()) {
                Lane lane = tenant.getValue();
                for (Iterator<String> keys = lane.ready.iterator(); keys.hasNext();) {
                    String key = keys.next();
                    ArrayDeque<Entry> queue = lane.byKey.get(key);
                    Entry head = queue.peekFirst();
                    if (head.item.admittedAt().isBefore(head.soon ? oldestSoon : oldest)) {
                        for (Entry entry : queue) {
                            entry.mode = Mode.DEFER;
                            deferred++;
                        }
                        keys.remove();
                        lane.deferring.add(key);
                    }
                }
                start.put(tenant.getKey(), due(lane));
            }
        }
        start.forEach(this::start);
        return deferred;
    }

    /**
     * How many more operations of new objects the tenant's lane takes before it defers them (its room), for releasing
     * deferred ones: below {@code recordsPerTenant}, and below the larger of the rooms left to the high-water mark and
     * the lane's share (as if the lane were non-empty), so released operations do not refill a lane past its share.
     * Rooms {@linkplain #reserve reserved} for released operations still on their way count as taken. An estimate:
     * the share moves as other lanes fill and drain.
     */
    public synchronized int room(String tenant) {
        lapse();
        Lane lane = lanes.get(tenant);
        int taken = (lane == null ? 0 : lane.size) + reservedOf(tenant);
        int share = lane == null ? share(lanes.size() + 1) : share();
        int room = Math.min(recordsPerTenant - taken, Math.max(highWater - occupied(), share - taken));
        return Math.max(0, room);
    }

    /**
     * The fewest operations worth a release: half of the rooms of an empty lane at least (its room never falls below
     * the smaller of {@code recordsPerTenant} and {@code objectsPerTenant}), so a lane that drains always reaches it,
     * while a release is one claim statement for many operations, not one per operation done.
     */
    public int releaseBatch() {
        return Math.max(1, Math.min(recordsPerTenant, objectsPerTenant) / 2);
    }

    /**
     * Keeps a room of the tenant's lane for each of these keys ({@code jobId/objectId}) until an operation of the key
     * arrives ({@link #admit}) or {@code reservation} passes: released operations on their way (waiting for admission,
     * or through Kafka) are not deferred again because new objects took their room meanwhile. A key already reserved
     * keeps one room.
     */
    public synchronized void reserve(String tenant, Collection<String> keys) {
        lapse();
        Instant until = clock.get().plus(reservation);
        Map<String, Reservation> ofTenant = reserved.computeIfAbsent(tenant, t -> new HashMap<>());
        for (String key : keys) {
            Reservation r = new Reservation(tenant, key, until);
            if (ofTenant.put(key, r) == null) {
                reservedTotal++;
            }
            lapsing.add(r);
        }
        if (ofTenant.isEmpty()) {
            reserved.remove(tenant);
        }
    }

    /** Rooms reserved for the tenant's released operations and not taken back yet. */
    public synchronized int reserved(String tenant) {
        lapse();
        return reservedOf(tenant);
    }

    /** Operations in the tenant's lane (running and waiting). */
    public synchronized int size(String tenant) {
        Lane lane = lanes.get(tenant);
        return lane == null ? 0 : lane.size;
    }

    /** Operations in all lanes. */
    public synchronized int size() {
        return total;
    }

    /**
     * Whether an operation of a new object arriving now at this lane, beyond its rooms, is expected to start within
     * {@code soon} anyway, so that deferring it would only write it to PostgreSQL and read it back seconds later
     * (issue 13: about 70 % of a one-tenant initial sync was deferred and released so): its tenant is the only one
     * with a job that is not paused ({@code sole}: keeping makes the stream wait, and a record of another job that
     * arrived behind the flood's in Kafka would wait with it, issue 12), the lane is the only one holding
     * operations, no other tenant's released operations are on their way, and the operations waiting in it
     * are fewer than it carried out in the last {@code soon} at its current pace. Such an operation is kept: it takes
     * a room of the consumer's admission limit, which then makes the stream wait instead (back-pressure). A held or
     * slow tenant carries out few operations, so its new objects are deferred as before; once another tenant's
     * operation is in a lane, the rules of rooms and shares apply again to every lane; and an operation kept so that
     * has not started within {@code soon} (its tenant slowed down) is deferred by {@link #sweep}, giving its room back.
     */
    private boolean runsSoon(String tenant, Lane lane) {
        if (lanes.size() != 1 || reservedTotal != reservedOf(tenant) || !sole.test(tenant)) {
            return false;
        }
        int waiting = lane.size - lane.running;
        return waiting < lane.perSecond(clock.get()) * soon.toMillis() / 1000.0;
    }

    /** A lane's share once the total reached the high-water mark, the lane being one of the non-empty lanes. */
    private int share() {
        return share(lanes.size());
    }

    /**
     * A lane's share among {@code nonEmpty} lanes: the smaller of the total over them and the rooms left below
     * {@code maxRecords}, never below {@code objectsPerTenant}. The total counts the reserved rooms.
     */
    private int share(int nonEmpty) {
        int occupied = occupied();
        int even = occupied / Math.max(1, nonEmpty);
        return Math.max(objectsPerTenant, Math.min(even, maxRecords - occupied));
    }

    /** Operations in all lanes and rooms reserved for released ones. */
    private int occupied() {
        return total + reservedTotal;
    }

    private int reservedOf(String tenant) {
        Map<String, Reservation> ofTenant = reserved.get(tenant);
        return ofTenant == null ? 0 : ofTenant.size();
    }

    /** An operation of the key arrived: the room reserved for it (if any) is its own now. */
    private void takeBack(String tenant, String key) {
        Map<String, Reservation> ofTenant = reserved.get(tenant);
        if (ofTenant != null && ofTenant.remove(key) != null) {
            reservedTotal--;
            if (ofTenant.isEmpty()) {
                reserved.remove(tenant);
            }
        }
    }

    /** Drops the reservations whose time passed. Proportional to the reservations it drops. */
    private void lapse() {
        Instant now = clock.get();
        for (Reservation r; (r = lapsing.peekFirst()) != null && !r.until().isAfter(now);) {
            lapsing.pollFirst();
            Map<String, Reservation> ofTenant = reserved.get(r.tenant());
            if (ofTenant != null && ofTenant.get(r.key()) == r) {
                ofTenant.remove(r.key());
                reservedTotal--;
                if (ofTenant.isEmpty()) {
                    reserved.remove(r.tenant());
                }
            }
        }
    }

    /** A key's head waits to start: to be deferred, or to run in its turn. */
    private static void becameReady(Lane lane, String key, Mode head) {
        if (head == Mode.DEFER) {
            lane.deferring.add(key);
        } else {
            lane.ready.add(key);
        }
    }

    /**
     * The entries to start now: every head to defer (deferring takes no running slot: it is one database write), then
     * the oldest ready heads while the tenant has a free slot; removes them from {@code deferring} and {@code ready}.
     * Proportional to the entries it returns: it never looks at a head that cannot start (issue 13: walking every
     * ready key on every admit and finish was quadratic while thousands of objects waited for a retry).
     */
    private List<Entry> due(Lane lane) {
        List<Entry> start = new ArrayList<>();
        for (String key; (key = lane.deferring.poll()) != null;) {
            start.add(lane.byKey.get(key).peekFirst());
        }
        for (Iterator<String> keys = lane.ready.iterator(); lane.running < objectsPerTenant && keys.hasNext();) {
            String key = keys.next();
            keys.remove();
            lane.running++;
            start.add(lane.byKey.get(key).peekFirst());
        }
        return start;
    }

    private void start(String tenant, List<Entry> entries) {
        for (Entry entry : entries) {
            Uni<Void> work;
            try {
                work = entry.mode == Mode.RUN ? entry.item.run() : entry.item.defer();
            } catch (RuntimeException e) {
                work = Uni.createFrom().failure(e);
            }
            work.subscribe().with(ignored -> finished(tenant, entry), failure -> finished(tenant, entry));
        }
    }

    private void finished(String tenant, Entry entry) {
        List<Entry> start;
        synchronized (this) {
            Lane lane = lanes.get(tenant);
            String key = entry.item.key();
            ArrayDeque<Entry> queue = lane.byKey.get(key);
            queue.pollFirst();
            lane.size--;
            total--;
            if (entry.mode == Mode.RUN) {
                lane.running--;
                lane.done(clock.get());
            }
            if (queue.isEmpty()) {
                lane.byKey.remove(key);
            } else {
                becameReady(lane, key, queue.peekFirst().mode);
            }
            if (lane.size == 0) {
                lanes.remove(tenant);
            }
            start = due(lane);
        }
        start(tenant, start);
        try {
            listener.operationDone(tenant, entry.mode == Mode.DEFER);
        } catch (RuntimeException e) {
            // the listener's trouble is its own: the lane goes on (the release timer is the backstop)
        }
    }
}
