package dev.provisioning.events;

/**
 * Text as PostgreSQL can store it: its {@code text} and {@code jsonb} types cannot hold a NUL character (U+0000;
 * SQLSTATE 22021 for text, 22P05 for jsonb's escape of it), which a directory may still supply (JSON allows
 * it), so a statement carrying one fails whole. Each NUL becomes Unicode's replacement character U+FFFD, the character
 * decoders put for one they cannot represent: unlike a removal it stays visible and never merges two different values
 * into one.
 */
public final class StorableText {

    /** What a NUL character becomes. */
    public static final char NUL_REPLACEMENT = '\uFFFD';

    private StorableText() {
    }

    /** Whether {@code text} holds a NUL character (false for null). */
    public static boolean hasNul(String text) {
        return text != null && text.indexOf('\u0000') >= 0;
    }

    /** {@code text} with each NUL character replaced by {@link #NUL_REPLACEMENT}; the same instance when it has none. */
    public static String of(String text) {
        return hasNul(text) ? text.replace('\u0000', NUL_REPLACEMENT) : text;
    }
}
