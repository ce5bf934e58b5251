package dev.provisioning.notifier.persistence;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.events.ProvisioningResult;

/**
 * The queries on {@code failure_outbox}. {@link #storeAll} runs on the reactive {@link Pool} by itself; every other
 * method must run inside a reactive session (callers use {@code Panache.withSession}/{@code withTransaction}). None
 * blocks.
 */
@ApplicationScoped
public class Outbox {

    /** One row per element of the arrays; the ids of the rows inserted come back, the conflicting ones do not. */
    private static final String STORE_ALL = """
            INSERT INTO failure_outbox (result_id, job_id, cycle_id, object_id, object_type, display_name, action,
                error_code, reason, occurred_at, received_at, state)
            SELECT f.result_id, f.job_id, f.cycle_id, f.object_id, f.object_type, f.display_name, f.action,
                f.error_code, f.reason, f.occurred_at, $11::timestamptz, 'PENDING'
            FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[],
                $7::varchar[], $8::varchar[], $9::text[], $10::timestamptz[])
                AS f(result_id, job_id, cycle_id, object_id, object_type, display_name, action, error_code, reason,
                    occurred_at)
            ON CONFLICT (result_id) DO NOTHING
            RETURNING result_id
            """;

    /** {@code failure_outbox.display_name}'s size: a longer name is cut to it ({@link ColumnText}). */
    static final int DISPLAY_NAME_CHARS = 1024;
    /** {@code failure_outbox.error_code}'s size. */
    static final int ERROR_CODE_CHARS = 255;
    /** The columns of a result's identifiers, never cut: a longer one is refused, the failure dead-lettered. */
    static final List<Refusals.IdColumn<ProvisioningResult>> ID_COLUMNS = List.of(
            new Refusals.IdColumn<>("resultId", "failure_outbox.result_id", 1024, ProvisioningResult::resultId),
            new Refusals.IdColumn<>("jobId", "failure_outbox.job_id", 255, ProvisioningResult::jobId),
            new Refusals.IdColumn<>("cycleId", "failure_outbox.cycle_id", 255, ProvisioningResult::cycleId),
            new Refusals.IdColumn<>("objectId", "failure_outbox.object_id", 512, ProvisioningResult::objectId));

    private final Pool pool;

    public Outbox(Pool pool) {
        this.pool = pool;
    }

    /**
     * A job whose oldest pending failure was received at {@code windowStart}; {@code nextAttemptAt} is set while SMTP
     * refused its digest.
     */
    public record PendingJob(String jobId, Instant windowStart, Instant nextAttemptAt, long pending) {
    }

    /**
     * Stores failures in one statement (autocommit, so all or none), skipping those whose result id is already there
     * ({@code ON CONFLICT (result_id) DO NOTHING}: a redelivered result is stored once). Each text is stored as its
     * column can hold it ({@link ColumnText}: a NUL character replaced by U+FFFD, a display name or error code longer
     * than its column cut to it, {@link #DISPLAY_NAME_CHARS}, {@link #ERROR_CODE_CHARS}); identifiers are stored as
     * they are, with a NUL replaced. Runs on the reactive {@link Pool} directly, not in a Hibernate session: one round
     * trip per poll of {@code provisioning.results}.
     *
     * @param failures Failure results, each result id at most once (a repeated id is stored once and returned once)
     * @param receivedAt the {@code received_at} of every row stored (the start of its digest window)
     * @return the result ids stored by this call (with a NUL character replaced); the others were already in the
     *         outbox. Fails with the database's error (nothing stored) when PostgreSQL is unreachable or refuses the
     *         statement; a refusal of one row refuses them all ({@link Refusals#refused}: SQLSTATE class 22 or 23, e.g.
     *         an identifier longer than its column, {@link #ID_COLUMNS}), and so does an {@code occurredAt} outside
     *         PostgreSQL's range, found before anything is sent ({@link Refusals.Unstorable}). {@link #refusal} says
     *         why one failure alone was refused
     */
    public Uni<Set<String>> storeAll(List<ProvisioningResult> failures, Instant receivedAt) {
        if (failures.isEmpty()) {
            return Uni.createFrom().item(Set.of());
        }
        int n = failures.size();
        String[] resultIds = new String[n];
        String[] jobIds = new String[n];
        String[] cycleIds = new String[n];
        String[] objectIds = new String[n];
        String[] objectTypes = new String[n];
        String[] displayNames = new String[n];
        String[] actions = new String[n];
        String[] errorCodes = new String[n];
        String[] reasons = new String[n];
        OffsetDateTime[] occurredAts = new OffsetDateTime[n];
        for (int i = 0; i < n; i++) {
            ProvisioningResult r = failures.get(i);
            try {
                Refusals.checkOccurredAt(r.occurredAt());
            } catch (Refusals.Unstorable e) {
                return Uni.createFrom().failure(e);
            }
            // each text as PostgreSQL can store it: one NUL character (a directory's value in a display name or a
            // reason) would have the whole statement refused (SQLSTATE 22021), every job's failures of the poll with it
            resultIds[i] = ColumnText.of(r.resultId());
            jobIds[i] = ColumnText.of(r.jobId());
            cycleIds[i] = ColumnText.of(r.cycleId());
            objectIds[i] = ColumnText.of(r.objectId());
            objectTypes[i] = r.objectType() == null ? null : r.objectType().name();
            // and within its column (a directory's display name may be longer than a digest needs)
            displayNames[i] = ColumnText.of(r.displayName(), DISPLAY_NAME_CHARS);
            actions[i] = r.action().name();
            errorCodes[i] = ColumnText.of(r.errorCode(), ERROR_CODE_CHARS);
            reasons[i] = ColumnText.of(r.reason());
            occurredAts[i] = utc(r.occurredAt());
        }
        Tuple arguments = Tuple.tuple().addValue(resultIds).addValue(jobIds).addValue(cycleIds).addValue(objectIds)
                .addValue(objectTypes).addValue(displayNames).addValue(actions).addValue(errorCodes).addValue(reasons)
                .addValue(occurredAts).addValue(utc(receivedAt));
        return pool.preparedQuery(STORE_ALL).execute(arguments).map(rows -> {
            Set<String> stored = new HashSet<>();
            rows.forEach(row -> stored.add(row.getString(0)));
            return stored;
        });
    }

    /**
     * Why the outbox refused {@code failure} when {@link #storeAll} was given it alone, for its dead letter: names the
     * job, the result and the field.
     *
     * @param refusal what {@link #storeAll} failed with ({@link Refusals#refused})
     * @return e.g. {@code the outbox refused the failure of job job-1 (result ...): field 'objectId' is 600 characters,
     *         more than failure_outbox.object_id holds (512) (SQLSTATE 22001: value too long for type character
     *         varying(512))}
     */
    public static String refusal(ProvisioningResult failure, Throwable refusal) {
        return "the outbox refused the failure of job " + failure.jobId() + " (result " + failure.resultId() + "): "
                + Refusals.field(ID_COLUMNS, failure, failure.occurredAt(), refusal);
    }

    private static OffsetDateTime utc(Instant t) {
        return t == null ? null : OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
    }

    /** Every job with pending failures, with the start of its oldest window. */
    public Uni<List<PendingJob>> pendingJobs() {
        return Panache.getSession().chain(s -> s.createSelectionQuery("""
                select o.jobId, min(o.receivedAt), max(o.nextAttemptAt), count(o)
                from OutboxFailure o where o.state = 'PENDING' group by o.jobId
                """, Object[].class).getResultList())
                .map(rows -> rows.stream()
                        .map(r -> new PendingJob((String) r[0], (Instant) r[1], (Instant) r[2], (Long) r[3]))
                        .toList());
    }

    /**
     * Locks and returns all of a job's pending failures, oldest first. Rows another replica holds are skipped, so two
     * replicas never send the same digest at once.
     */
    public Uni<List<OutboxFailure>> lockPending(String jobId) {
        String sql = """
                SELECT * FROM failure_outbox
                WHERE job_id = :jobId AND state = 'PENDING'
                ORDER BY received_at, result_id
                FOR UPDATE SKIP LOCKED
                """;
        return Panache.getSession().chain(s -> s.createNativeQuery(sql, OutboxFailure.class)
                .setParameter("jobId", jobId)
                .getResultList());
    }

    /** Marks failures as emailed in {@code digestId}. */
    public Uni<Integer> markSent(List<String> resultIds, String digestId, Instant now) {
        return Panache.getSession().chain(s -> s.createMutationQuery("""
                update OutboxFailure set state = 'SENT', digestId = :digestId, settledAt = :now, lastError = null
                where resultId in :ids
                """)
                .setParameter("digestId", digestId)
                .setParameter("now", now)
                .setParameter("ids", resultIds)
                .executeUpdate());
    }

    /** Records a refused attempt: the failures stay pending until {@code nextAttemptAt}. */
    public Uni<Integer> markAttemptFailed(List<String> resultIds, int attempts, Instant nextAttemptAt, String error) {
        return Panache.getSession().chain(s -> s.createMutationQuery("""
                update OutboxFailure set attempts = :attempts, nextAttemptAt = :next, lastError = :error
                where resultId in :ids
                """)
                .setParameter("attempts", attempts)
                .setParameter("next", nextAttemptAt)
                // the SMTP server's reply: another service's text
                .setParameter("error", ColumnText.of(error))
                .setParameter("ids", resultIds)
                .executeUpdate());
    }

    /** Gives up failures whose digest the SMTP server refused permanently. */
    public Uni<Integer> markDropped(List<String> resultIds, String why, Instant now) {
        return Panache.getSession().chain(s -> s.createMutationQuery("""
                update OutboxFailure set state = 'DROPPED', settledAt = :now, lastError = :why
                where resultId in :ids
                """)
                .setParameter("now", now)
                .setParameter("why", ColumnText.of(why))
                .setParameter("ids", resultIds)
                .executeUpdate());
    }

    /** Drops all of a job's pending failures on purpose (notifications off, job deleted or never seen). */
    public Uni<Integer> dropPending(String jobId, String why, Instant now) {
        return Panache.getSession().chain(s -> s.createMutationQuery("""
                update OutboxFailure set state = 'DROPPED', settledAt = :now, lastError = :why
                where jobId = :jobId and state = 'PENDING'
                """)
                .setParameter("now", now)
                .setParameter("why", why)
                .setParameter("jobId", jobId)
                .executeUpdate());
    }

    /** Deletes settled failures older than {@code cutoff}; a result redelivered after that would be emailed again. */
    public Uni<Integer> purgeSettledBefore(Instant cutoff) {
        return Panache.getSession().chain(s -> s.createMutationQuery(
                "delete from OutboxFailure where state <> 'PENDING' and settledAt < :cutoff")
                .setParameter("cutoff", cutoff)
                .executeUpdate());
    }

    /** Pending failures per job. */
    public static Map<String, Long> pendingByJob(List<PendingJob> jobs) {
        return jobs.stream().collect(Collectors.toMap(PendingJob::jobId, PendingJob::pending));
    }
}
