package dev.provisioning.detector.persistence;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.detector.job.JobEvent;
import dev.provisioning.events.Json;

/**
 * The {@code job_outbox} table: the events a job's save raised, written in the save's transaction, published later by
 * the relay ({@code messaging.OutboxRelay}) in order per job and then marked sent. At least once: a relay that stops
 * between publishing and marking publishes again (the notifier dedupes job state events by id; {@code provisioning.jobs}
 * is compacted by job id and its consumers keep the highest revision).
 */
@ApplicationScoped
public class Outbox {

    /** One relay at a time across replicas, so that a job's records reach Kafka in the order they were stored. */
    public static final long RELAY_LOCK = 0x6a6f625f6f7574L;

    private final Pool pool;
    private final Event<Written> written;
    private final Map<Long, CompletableFuture<Void>> awaited = new ConcurrentHashMap<>();

    public Outbox(Pool pool, Event<Written> written) {
        this.pool = pool;
        this.written = written;
    }

    /** Where a record goes. */
    public enum Kind {
        /** A record on {@code provisioning.jobs}: the configuration, or (payload null) the tombstone. */
        JOB_CONFIG,
        /** A record on {@code provisioning.job-states}. */
        JOB_STATE
    }

    /**
     * A stored record.
     *
     * @param payload the record's JSON value; null for a tombstone
     */
    public record Record(long id, String jobId, Kind kind, String payload) {
    }

    /** Fired (CDI) when records were stored, after the transaction committed: the relay wakes up. */
    public record Written() {
    }

    /**
     * Stores a job's events in the caller's transaction, in their order.
     *
     * @return the id of the last record stored, 0 when there were none
     */
    Uni<Long> append(SqlConnection tx, List<JobEvent> events) {
        Uni<Long> last = Uni.createFrom().item(0L);
        for (JobEvent event : events) {
            last = last.chain(() -> tx.preparedQuery(
                    "INSERT INTO job_outbox (job_id, kind, payload) VALUES ($1, $2, $3) RETURNING id")
                    .execute(Tuple.of(event.jobId(), kind(event).name(), payload(event)))
                    .map(rs -> rs.iterator().next().getLong(0)));
        }
        return last;
    }

    private static Kind kind(JobEvent event) {
        return event instanceof JobEvent.StateChanged ? Kind.JOB_STATE : Kind.JOB_CONFIG;
    }

    private static String payload(JobEvent event) {
        if (event instanceof JobEvent.ConfigurationChanged changed) {
            return Json.write(changed.config());
        }
        if (event instanceof JobEvent.StateChanged state) {
            return Json.write(state.event());
        }
        return null;
    }

    /**
     * Wakes the relay after a transaction stored records, and completes once the record {@code lastId} (with every
     * record of the same job before it) is published, or after {@code atMost}: the caller's answer then normally
     * reflects what the other services see, and a slow broker delays it by at most that (the records stay stored and
     * are published later).
     */
    Uni<Void> published(long lastId, Duration atMost) {
        if (lastId == 0) {
            return Uni.createFrom().voidItem();
        }
        // registered before looking, so that a relay finishing in between is not missed
        CompletableFuture<Void> done = awaited.computeIfAbsent(lastId, id -> new CompletableFuture<>());
        written.fire(new Written());
        return pool.preparedQuery("SELECT sent_at IS NOT NULL FROM job_outbox WHERE id = $1")
                .execute(Tuple.of(lastId))
                .chain(rs -> rs.size() == 0 || rs.iterator().next().getBoolean(0)
                        ? Uni.createFrom().voidItem()
                        : Uni.createFrom().completionStage(done).ifNoItem().after(atMost).recoverWithItem((Void) null)
                                .replaceWithVoid())
                .eventually(() -> awaited.remove(lastId));
    }

    /**
     * One pass of the relay, unless another replica's relay is running: reads up to {@code limit} unsent records in
     * the order they were stored, hands them to {@code publish}, and marks sent the ones it reports published.
     *
     * @param publish publishes the records (each job's in the given order) and answers the ids it published
     * @return how many unsent records were read (0 when another relay runs)
     */
    public Uni<Integer> relay(int limit, Function<List<Record>, Uni<List<Long>>> publish) {
        List<Long> marked = new ArrayList<>();
        return pool.withTransaction(tx -> tx.preparedQuery("SELECT pg_try_advisory_xact_lock($1)")
                .execute(Tuple.of(RELAY_LOCK)).chain(locked -> {
                    if (!locked.iterator().next().getBoolean(0)) {
                        return Uni.createFrom().item(0);
                    }
                    return tx.preparedQuery("SELECT id, job_id, kind, payload FROM job_outbox WHERE sent_at IS NULL "
                            + "ORDER BY id LIMIT $1").execute(Tuple.of(limit)).chain(rows -> {
                                List<Record> records = new ArrayList<>();
                                rows.forEach(r -> records.add(new Record(r.getLong(0), r.getString(1),
                                        Kind.valueOf(r.getString(2)), r.getString(3))));
                                if (records.isEmpty()) {
                                    return Uni.createFrom().item(0);
                                }
                                return publish.apply(records).chain(sent -> {
                                    marked.addAll(sent);
                                    return sent.isEmpty()
                                            ? Uni.createFrom().item(records.size())
                                            : tx.preparedQuery("UPDATE job_outbox SET sent_at = now() WHERE id = "
                                                    + "ANY($1)").execute(Tuple.of(sent.toArray(new Long[0])))
                                                    .replaceWith(records.size());
                                });
                            });
                })).invoke(() -> marked.forEach(id -> {
                    CompletableFuture<Void> waiting = awaited.get(id);
                    if (waiting != null) {
                        waiting.complete(null);
                    }
                }));
    }

    /**
     * Queues every job's current configuration to be published again on {@code provisioning.jobs}, in order with the
     * job's other records (at start-up: a service that reads the compacted topic from the beginning then finds every
     * job even if the topic lost records).
     *
     * @return how many were queued
     */
    public Uni<Integer> queueAllJobConfigurations() {
        return pool.query("INSERT INTO job_outbox (job_id, kind, payload) SELECT id, '" + Kind.JOB_CONFIG.name()
                + "', config FROM job ORDER BY created_at").execute().map(rs -> rs.rowCount())
                .invoke(queued -> {
                    if (queued > 0) {
                        written.fire(new Written());
                    }
                });
    }

    /** Deletes records sent before {@code before}; returns how many. */
    public Uni<Integer> purge(OffsetDateTime before) {
        return pool.preparedQuery("DELETE FROM job_outbox WHERE sent_at < $1").execute(Tuple.of(before))
                .map(rs -> rs.rowCount());
    }
}
