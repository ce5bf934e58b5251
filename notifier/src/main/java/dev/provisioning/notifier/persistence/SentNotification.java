package dev.provisioning.notifier.persistence;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.PrePersist;
import jakarta.persistence.PreUpdate;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

/**
 * An email that was sent, table {@code sent_notification}: written in the transaction that marks its failures sent, so
 * a digest recorded here is never sent again.
 */
@Entity
@Table(name = "sent_notification")
public class SentNotification extends PanacheEntityBase {

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
    public String recipient;
    public String subject;
    @Column(name = "message_id")
    public String messageId;
    @Column(name = "failure_count")
    public int failureCount;
    @Column(name = "sent_at")
    public Instant sentAt;

    /**
     * Before the row is written: the texts that come from the job's configuration (its name in the subject, its
     * address), as their columns can hold them ({@link ColumnText}: a NUL character replaced, the recipient cut to
     * {@code varchar(1024)}, the Message-ID to {@code varchar(255)}). Otherwise the transaction that records an email already sent would fail, and the email
     * would be sent again on every tick.
     */
    @PrePersist
    @PreUpdate
    void storable() {
        recipient = ColumnText.of(recipient, ColumnText.RECIPIENT_CHARS);
        subject = ColumnText.of(subject);
        messageId = ColumnText.of(messageId, ColumnText.MESSAGE_ID_CHARS);
    }
}
