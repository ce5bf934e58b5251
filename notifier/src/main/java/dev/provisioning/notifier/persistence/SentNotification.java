package dev.provisioning.notifier.persistence;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * An email that was sent, table {@code sent_notification}: written in the transaction that marks its failures sent, so
 * a digest recorded here is never sent again. Its recipient, subject and Message-ID are made storable before the row
 * is written ({@link EmailRow}).
 */
@Entity
@Table(name = "sent_notification")
public class SentNotification extends EmailRow {

    /** The kind of a failure digest. */
    public static final String FAILURE_DIGEST = "failure-digest";

    @Id
    @Column(name = "digest_id")
    public String digestId;
    @Column(name = "job_id")
    public String jobId;
    public String kind;
    @Column(name = "window_start")
    public Instant windowStart;
    @Column(name = "window_end")
    public Instant windowEnd;
    @Column(name = "failure_count")
    public int failureCount;
    @Column(name = "sent_at")
    public Instant sentAt;
}
