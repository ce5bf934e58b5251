package dev.provisioning.telemetry;

/**
 * A count and its noun as a person reads them: "1 member", "0 members", "2 members" (English: the singular for exactly
 * one, else the plural). For every user-visible text built from a count: the provisioning log's descriptions, notices
 * and emails, log lines, the run command's output. Plain Java.
 */
public final class Plural {

    private Plural() {
    }

    /** {@code count} and {@code noun}, with an {@code s} unless the count is 1: {@code of(1, "user")} is "1 user". */
    public static String of(long count, String noun) {
        return of(count, noun, noun + "s");
    }

    /** {@code count} and {@code singular} when it is 1, else {@code plural}: {@code of(2, "entry", "entries")}. */
    public static String of(long count, String singular, String plural) {
        return count + " " + noun(count, singular, plural);
    }

    /** The noun alone for {@code count}: {@code singular} when it is 1, else {@code plural}. */
    public static String noun(long count, String singular, String plural) {
        return count == 1 ? singular : plural;
    }
}
