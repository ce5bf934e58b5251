package dev.provisioning.mapping.regex;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A regular expression compiled once and matched with bounded work, so a pattern such as {@code (a+)+$} cannot hang the
 * service. Java's matcher reads its input through {@link CharSequence#charAt}; the input is wrapped in a sequence that
 * counts those reads and throws {@link RegexBudgetExceededException} past the budget. Immutable and thread-safe.
 */
public final class BoundedRegex {

    /**
     * Character reads allowed per match attempt. Ordinary patterns on directory attributes need a few hundred; a million
     * costs a few milliseconds at most.
     */
    public static final long DEFAULT_BUDGET = 1_000_000;

    private final Pattern pattern;
    private final long budget;

    private BoundedRegex(Pattern pattern, long budget) {
        this.pattern = pattern;
        this.budget = budget;
    }

    /** Compiles a pattern (case-sensitive, as Entra's are) with the default budget. */
    public static BoundedRegex compile(String regex) throws PatternSyntaxException {
        return compile(regex, DEFAULT_BUDGET);
    }

    /** Compiles a pattern with an explicit budget of character reads per match attempt. */
    public static BoundedRegex compile(String regex, long budget) throws PatternSyntaxException {
        return new BoundedRegex(Pattern.compile(regex), budget);
    }

    /** The compiled pattern. */
    public Pattern pattern() {
        return pattern;
    }

    /** Whether the pattern matches anywhere in the input (.NET {@code Regex.IsMatch}). */
    public boolean find(CharSequence input) throws RegexBudgetExceededException {
        return matcher(input).find();
    }

    /**
     * A matcher over the input that throws {@link RegexBudgetExceededException} from its matching methods once the
     * budget is spent. Group values are read from the original input, so they do not count.
     */
    public Matcher matcher(CharSequence input) {
        return pattern.matcher(new CountingSequence(input.toString(), new long[]{budget}, this));
    }

    @Override
    public String toString() {
        return pattern.pattern();
    }

    private static final class CountingSequence implements CharSequence {

        private final String text;
        private final long[] remaining;
        private final BoundedRegex owner;

        CountingSequence(String text, long[] remaining, BoundedRegex owner) {
            this.text = text;
            this.remaining = remaining;
            this.owner = owner;
        }

        @Override
        public char charAt(int index) {
            if (--remaining[0] < 0) {
                throw new RegexBudgetExceededException(owner.pattern.pattern(), owner.budget);
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return text.substring(start, end);
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
