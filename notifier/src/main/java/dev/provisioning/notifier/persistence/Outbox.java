package dev.provisioning.notifier.persistence;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

import dev.provisioning.events.ProvisioningResult;

/**
 * The queries on {@code failure_outbox}. Every method must run inside a reactive session (callers use
 * {@code Panache.withSession}/{@code withTransaction}); none blocks.
 */
@ApplicationScoped
public class Outbox {

    /**
     * A job whose oldest pending failure was received at {@code windowStart}; {@code nextAttemptAt} is set while SMTP
     * refused its digest.
     */
    public record PendingJob(String jobId, Instant windowStart, Instant nextAttemptAt, long pending) {
    }

    /**
     * Stores a failure unless a result with the same identity is already there.
     *
     * @return true when stored, false for a redelivered result
     */
    public Uni<Boolean> store(ProvisioningResult r, Instant receivedAt) {
        String sql = """
                INSERT INTO failure_outbox (result_id, job_id, cycle_id, object_id, object_type, display_name, action,
                    error_code, reason, occurred_at, received_at, state)
                VALUES (:resultId, :jobId, :cycleId, :objectId, :objectType, :displayName, :action,
                    :errorCode, :reason, :occurredAt, :receivedAt, 'PENDING')
                ON CONFLICT (result_id) DO NOTHING
                """;
        return Panache.getSession().chain(s -> s.createNativeQuery(sql)
                .setParameter("resultId", r.resultId())
                .setParameter("jobId", r.jobId())
                .setParameter("cycleId", r.cycleId())
                .setParameter("objectId", r.objectId())
                .setParameter("objectType", r.objectType() == null ? null : r.objectType().name())
                .setParameter("displayName", r.displayName())
                .setParameter("action", r.action().name())
                .setParameter("errorCode", r.errorCode())
                .setParameter("reason", r.reason())
                .setParameter("occurredAt", r.occurredAt())
                .setParameter("receivedAt", receivedAt)
                .executeUpdate())
                .map(rows -> rows == 1);
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
                .setParameter("error", error)
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
                .setParameter("why", why)
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
