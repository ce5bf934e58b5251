package dev.provisioning.notifier.persistence;

import dev.provisioning.events.StorableText;

/**
 * A text from another service (a directory's value, a job's name, an SMTP server's reply) as a column of the notifier's
 * tables can hold it: each NUL character replaced by U+FFFD ({@link StorableText}), which PostgreSQL's text cannot
 * hold (SQLSTATE 22021), and, for a bounded column, cut to its size (a longer one: 22001). Either refusal would fail
 * the whole statement, or the transaction that records an email already sent (which would then be sent again).
 * Only for texts shown to people: an identifier (a result's, a job's, an event's) is never cut, since two cut ids could
 * become one.
 */
public final class ColumnText {

    /** {@code sent_notification.recipient}'s and {@code state_outbox.recipient}'s size. */
    static final int RECIPIENT_CHARS = 1024;
    /** {@code sent_notification.message_id}'s and {@code state_outbox.message_id}'s size. */
    static final int MESSAGE_ID_CHARS = 255;

    private ColumnText() {
    }

    /** {@code text} storable in a {@code text} column; null stays null. */
    public static String of(String text) {
        return StorableText.of(text);
    }

    /** {@code text} storable in a {@code varchar(max)} column: NUL replaced, then {@link #cut}; null stays null. */
    public static String of(String text, int max) {
        return cut(StorableText.of(text), max);
    }

    /**
     * {@code text} in at most {@code max} UTF-16 units (so at most {@code max} characters, as PostgreSQL's
     * {@code varchar(max)} counts them), never ending in half a surrogate pair; null stays null.
     */
    static String cut(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
        return text.substring(0, end);
    }
}
