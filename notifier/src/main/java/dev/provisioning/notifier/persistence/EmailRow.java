package dev.provisioning.notifier.persistence;

import jakarta.persistence.Column;
import jakarta.persistence.MappedSuperclass;
import jakarta.persistence.PrePersist;
import jakarta.persistence.PreUpdate;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

/**
 * The columns of an email that both email tables keep, {@code sent_notification} ({@link SentNotification}) and
 * {@code state_outbox} ({@link StateNotification}), each in its own table (a mapped superclass: no table of its own,
 * the same columns as before), and the one hook that makes them storable.
 */
@MappedSuperclass
public abstract class EmailRow extends PanacheEntityBase {

    /** The address the email went (or goes) to, from the job's configuration. */
    public String recipient;
    /** The email's subject, with the job's name in it. */
    public String subject;
    /** The email's Message-ID header. */
    @Column(name = "message_id")
    public String messageId;

    /**
     * Before the row is written: the texts from another service (the job's name in the subject, its notification
     * address) and the Message-ID made with them, as their columns can hold them ({@link ColumnText}: a NUL character
     * replaced, the recipient cut to {@code varchar(1024)}, the Message-ID to {@code varchar(255)}). Otherwise the
     * transaction that records an email already sent would fail, and the email would be sent again on every tick.
     */
    @PrePersist
    @PreUpdate
    void storable() {
        recipient = ColumnText.of(recipient, ColumnText.RECIPIENT_CHARS);
        subject = ColumnText.of(subject);
        messageId = ColumnText.of(messageId, ColumnText.MESSAGE_ID_CHARS);
    }
}
