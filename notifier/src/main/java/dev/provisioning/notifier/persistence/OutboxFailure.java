package dev.provisioning.notifier.persistence;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

import dev.provisioning.notifier.digest.FailedObject;

/**
 * A failure waiting in (or settled from) the outbox, table {@code failure_outbox}. Keyed by the result's identity so a
 * redelivered result is stored once.
 */
@Entity
@Table(name = "failure_outbox")
public class OutboxFailure extends PanacheEntityBase {

    /** Waiting to be emailed. */
    public static final String PENDING = "PENDING";
    /** Emailed, in digest {@link #digestId}. */
    public static final String SENT = "SENT";
    /** Not emailed on purpose: notifications off, no address, or the job deleted or never seen. */
    public static final String DROPPED = "DROPPED";

    @Id
    @Column(name = "result_id")
    public String resultId;
    @Column(name = "job_id")
    public String jobId;
    @Column(name = "cycle_id")
    public String cycleId;
    @Column(name = "object_id")
    public String objectId;
    @Column(name = "object_type")
    public String objectType;
    @Column(name = "display_name")
    public String displayName;
    public String action;
    @Column(name = "error_code")
    public String errorCode;
    public String reason;
    @Column(name = "occurred_at")
    public Instant occurredAt;
    @Column(name = "received_at")
    public Instant receivedAt;
    public String state;
    @Column(name = "digest_id")
    public String digestId;
    @Column(name = "settled_at")
    public Instant settledAt;
    public int attempts;
    @Column(name = "next_attempt_at")
    public Instant nextAttemptAt;
    @Column(name = "last_error")
    public String lastError;

    /** This failure as a line of a digest. */
    public FailedObject toFailedObject() {
        return new FailedObject(resultId, objectId, displayName, action, errorCode, reason, occurredAt);
    }
}
