package dev.provisioning.notifier.persistence;

import java.time.Instant;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.notifier.state.StateNoticeComposer;

/**
 * The queries on {@code state_outbox} and {@code quarantine_notice}. Every method must run inside a reactive session
 * or transaction; none blocks.
 */
@ApplicationScoped
public class StateOutbox {

    /** What storing an event did. */
    public enum Stored {
        /** Stored, pending: it will be emailed. */
        PENDING,
        /** The same event was stored before (a redelivery): nothing new. */
        REDELIVERED,
        /** A quarantine start for the reason the job is already quarantined for: stored, not to be emailed. */
        SAME_QUARANTINE_REASON,
        /**
         * A rejected token or held deletions that start a quarantine: stored, not to be emailed on its own, as the
         * quarantine start that follows is emailed and says it.
         */
        FOLDED
    }

    /** {@code state_outbox.job_name}'s size: a longer name is cut to it ({@link ColumnText}). */
    static final int JOB_NAME_CHARS = 1024;
    /** {@code state_outbox.reason_code}'s and {@code quarantine_notice.reason_code}'s size. */
    static final int REASON_CODE_CHARS = 255;
    /** The columns of an event's identifiers, never cut: a longer one is refused, the event dead-lettered. */
    static final List<Refusals.IdColumn<JobStateEvent>> ID_COLUMNS = List.of(
            new Refusals.IdColumn<>("eventId", "state_outbox.event_id", 1024, JobStateEvent::eventId),
            new Refusals.IdColumn<>("jobId", "state_outbox.job_id", 255, JobStateEvent::jobId),
            new Refusals.IdColumn<>("cycleId", "state_outbox.cycle_id", 255, JobStateEvent::cycleId));

    /**
     * Stores an event unless one with the same id is there, and keeps the job's quarantine reason: a quarantine start
     * for the reason already emailed (and not lifted since) is stored as {@link StateNotification#DUPLICATE}; a lift
     * forgets the reason, so the next quarantine is emailed whatever its reason. A TOKEN_REJECTED or DELETIONS_HELD
     * that starts a quarantine ({@link StateNoticeComposer#quarantineStartedBy}: the job is not quarantined for its
     * reason yet) is stored as {@link StateNotification#FOLDED}: the QUARANTINE_STARTED the detector tells right after
     * it is emailed and says what it would (one email per event); one for a job already quarantined for that reason
     * (more deletions held by a later cycle) is emailed on its own. Run it in one transaction. Each text
     * is stored as its column can hold it ({@link ColumnText}: a NUL character replaced by U+FFFD, the job's name and
     * the reason code cut to their columns, {@link #JOB_NAME_CHARS}, {@link #REASON_CODE_CHARS}); identifiers are
     * stored as they are, with a NUL replaced.
     *
     * @return what storing did. Fails with the database's error when PostgreSQL is unreachable, or refuses the event
     *         ({@link Refusals#refused}: an identifier longer than its column, {@link #ID_COLUMNS}, or an
     *         {@code occurredAt} out of its range, found before anything is sent); {@link #refusal} says why
     */
    public Uni<Stored> store(JobStateEvent event, String kind, Instant receivedAt) {
        JobStateEvent e;
        try {
            Refusals.checkOccurredAt(event.occurredAt());
            e = storable(event);
        } catch (Refusals.Unstorable unstorable) {
            return Uni.createFrom().failure(unstorable);
        }
        String insert = """
                INSERT INTO state_outbox (event_id, job_id, job_name, change, kind, reason_code, reason, object_count,
                    cycle_id, occurred_at, received_at, state)
                VALUES (:eventId, :jobId, :jobName, :change, :kind, :reasonCode, :reason, :count,
                    :cycleId, :occurredAt, :receivedAt, 'PENDING')
                ON CONFLICT (event_id) DO NOTHING
                """;
        return Panache.getSession().chain(s -> s.createNativeQuery(insert)
                .setParameter("eventId", e.eventId())
                .setParameter("jobId", e.jobId())
                .setParameter("jobName", e.jobName())
                .setParameter("change", e.change().name())
                .setParameter("kind", kind)
                .setParameter("reasonCode", e.reasonCode())
                .setParameter("reason", e.reason())
                .setParameter("count", e.count())
                .setParameter("cycleId", e.cycleId())
                .setParameter("occurredAt", e.occurredAt())
                .setParameter("receivedAt", receivedAt)
                .executeUpdate())
                .chain(rows -> {
                    if (rows == 0) {
                        return Uni.createFrom().item(Stored.REDELIVERED);
                    }
                    if (e.change() == JobStateChange.QUARANTINE_STARTED) {
                        return rememberQuarantine(e, receivedAt);
                    }
                    if (e.change() == JobStateChange.QUARANTINE_LIFTED) {
                        return forgetQuarantine(e.jobId()).replaceWith(Stored.PENDING);
                    }
                    String starts = StateNoticeComposer.quarantineStartedBy(e.change());
                    if (starts != null) {
                        return foldIntoQuarantine(e, starts, receivedAt);
                    }
                    return Uni.createFrom().item(Stored.PENDING);
                });
    }

    /** {@code e} as {@code state_outbox} can hold it (see {@link #store}). */
    private static JobStateEvent storable(JobStateEvent e) {
        return new JobStateEvent(e.schemaVersion(), ColumnText.of(e.eventId()), ColumnText.of(e.jobId()),
                ColumnText.of(e.jobName(), JOB_NAME_CHARS), e.change(),
                ColumnText.of(e.reasonCode(), REASON_CODE_CHARS),
                ColumnText.of(e.reason()), e.count(), ColumnText.of(e.cycleId()), e.occurredAt());
    }

    /**
     * Why the state outbox refused {@code event}, for its dead letter: names the job, the event and the field.
     *
     * @param refusal what {@link #store} failed with ({@link Refusals#refused})
     */
    public static String refusal(JobStateEvent event, Throwable refusal) {
        return "the state outbox refused job state event " + event.eventId() + " of job " + event.jobId() + ": "
                + Refusals.field(ID_COLUMNS, event, event.occurredAt(), refusal);
    }

    private Uni<Stored> rememberQuarantine(JobStateEvent e, Instant now) {
        // inserts the job's reason, or replaces a different one; touches nothing when the reason is the same
        String upsert = """
                INSERT INTO quarantine_notice (job_id, reason_code, event_id, noticed_at)
                VALUES (:jobId, :reasonCode, :eventId, :now)
                ON CONFLICT (job_id) DO UPDATE
                    SET reason_code = EXCLUDED.reason_code, event_id = EXCLUDED.event_id, noticed_at = EXCLUDED.noticed_at
                    WHERE quarantine_notice.reason_code <> EXCLUDED.reason_code
                """;
        return Panache.getSession().chain(s -> s.createNativeQuery(upsert)
                .setParameter("jobId", e.jobId())
                .setParameter("reasonCode", e.reasonCode() == null ? "" : e.reasonCode())
                .setParameter("eventId", e.eventId())
                .setParameter("now", now)
                .executeUpdate())
                .chain(rows -> rows == 1
                        ? Uni.createFrom().item(Stored.PENDING)
                        : settle(e.eventId(), StateNotification.DUPLICATE, "already emailed for this reason", now)
                                .replaceWith(Stored.SAME_QUARANTINE_REASON));
    }

    /**
     * Settles {@code e}, just stored, as {@link StateNotification#FOLDED} unless the job is on record here as
     * quarantined for {@code reasonCode}: the job's events come in the order the detector told them (one partition per
     * job), so the record says whether the detector entered that quarantine with this event (and its
     * QUARANTINE_STARTED follows) or was in it already (none follows).
     */
    private Uni<Stored> foldIntoQuarantine(JobStateEvent e, String reasonCode, Instant now) {
        String fold = """
                UPDATE state_outbox SET state = :folded, settled_at = :now, last_error = :why
                WHERE event_id = :eventId AND NOT EXISTS (
                    SELECT 1 FROM quarantine_notice WHERE job_id = :jobId AND reason_code = :reasonCode)
                """;
        return Panache.getSession().chain(s -> s.createNativeQuery(fold)
                .setParameter("folded", StateNotification.FOLDED)
                .setParameter("now", now)
                .setParameter("why", "told by the email of the " + reasonCode + " quarantine it starts")
                .setParameter("eventId", e.eventId())
                .setParameter("jobId", e.jobId())
                .setParameter("reasonCode", reasonCode)
                .executeUpdate())
                .map(rows -> rows == 1 ? Stored.FOLDED : Stored.PENDING);
    }

    private Uni<Integer> forgetQuarantine(String jobId) {
        return Panache.getSession()
                .chain(s -> s.createNativeQuery("DELETE FROM quarantine_notice WHERE job_id = :jobId")
                        .setParameter("jobId", jobId)
                        .executeUpdate());
    }

    private Uni<Integer> settle(String eventId, String state, String why, Instant now) {
        return Panache.getSession().chain(s -> s.createMutationQuery("""
                update StateNotification set state = :state, settledAt = :now, lastError = :why where eventId = :id
                """)
                .setParameter("state", state)
                .setParameter("now", now)
                .setParameter("why", why)
                .setParameter("id", eventId)
                .executeUpdate());
    }

    /** Every pending email, oldest first (the table holds few: one row per change in a job's health). */
    public Uni<List<StateNotification>> pending() {
        return Panache.getSession().chain(s -> s.createSelectionQuery(
                "from StateNotification where state = 'PENDING' order by receivedAt, eventId", StateNotification.class)
                .getResultList());
    }

    /**
     * Locks one pending email; null when it is no longer pending or another replica holds it. The entity is managed:
     * changes to it are written when the transaction commits.
     */
    public Uni<StateNotification> lockPending(String eventId) {
        String sql = "SELECT * FROM state_outbox WHERE event_id = :id AND state = 'PENDING' FOR UPDATE SKIP LOCKED";
        return Panache.getSession().chain(s -> s.createNativeQuery(sql, StateNotification.class)
                .setParameter("id", eventId)
                .getResultList())
                .map(rows -> rows.isEmpty() ? null : rows.get(0));
    }

    /** Deletes settled emails older than {@code cutoff}; an event redelivered after that would be emailed again. */
    public Uni<Integer> purgeSettledBefore(Instant cutoff) {
        return Panache.getSession().chain(s -> s.createMutationQuery(
                "delete from StateNotification where state <> 'PENDING' and settledAt < :cutoff")
                .setParameter("cutoff", cutoff)
                .executeUpdate());
    }
}
