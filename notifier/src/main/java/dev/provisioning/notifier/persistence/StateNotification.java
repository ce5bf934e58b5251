package dev.provisioning.notifier.persistence;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.PrePersist;
import jakarta.persistence.PreUpdate;
import jakarta.persistence.Table;

import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;

/**
 * A job state email waiting in (or settled from) the outbox, table {@code state_outbox}. Keyed by the job state
 * event's id, so a redelivered event is stored, and emailed, once.
 */
@Entity
@Table(name = "state_outbox")
public class StateNotification extends EmailRow {

    /** Waiting to be emailed. */
    public static final String PENDING = "PENDING";
    /** Emailed. */
    public static final String SENT = "SENT";
    /** Not emailed: the job is already known to be quarantined for the same reason. */
    public static final String DUPLICATE = "DUPLICATE";
    /**
     * Not emailed on its own: a rejected token or held deletions whose quarantine start follows, and whose email tells
     * them ({@link StateOutbox#store}).
     */
    public static final String FOLDED = "FOLDED";
    /** Not emailed on purpose (notifications off, job deleted or never seen) or given up (permanent SMTP refusal). */
    public static final String DROPPED = "DROPPED";

    @Id
    @Column(name = "event_id")
    public String eventId;
    @Column(name = "job_id")
    public String jobId;
    @Column(name = "job_name")
    public String jobName;
    @Enumerated(EnumType.STRING)
    public JobStateChange change;
    public String kind;
    @Column(name = "reason_code")
    public String reasonCode;
    public String reason;
    @Column(name = "object_count")
    public long count;
    @Column(name = "cycle_id")
    public String cycleId;
    @Column(name = "occurred_at")
    public Instant occurredAt;
    @Column(name = "received_at")
    public Instant receivedAt;
    public String state;
    public int attempts;
    @Column(name = "next_attempt_at")
    public Instant nextAttemptAt;
    @Column(name = "last_error")
    public String lastError;
    @Column(name = "settled_at")
    public Instant settledAt;

    /**
     * Before the row is written, besides its email's columns ({@link EmailRow}): the SMTP server's reply or why the
     * email was dropped, made storable ({@link ColumnText}), or the transaction recording it would fail and the email
     * go out again on every tick.
     */
    @PrePersist
    @PreUpdate
    void storableError() {
        lastError = ColumnText.of(lastError);
    }

    /** The event this row was stored from. */
    public JobStateEvent toEvent() {
        return new JobStateEvent(JobStateEvent.SCHEMA_VERSION, eventId, jobId, jobName, change, reasonCode, reason,
                count, cycleId, occurredAt);
    }
}
