package dev.provisioning.mapping.expression;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAccessor;
import java.time.temporal.TemporalQueries;
import java.util.List;
import java.util.Locale;

/**
 * Date-time helpers of the date functions: lenient parsing of the date strings Entra's {@code CDate} accepts, Active
 * Directory file times, and translation of .NET custom date and time format strings to {@link DateTimeFormatter}s. A
 * date without an offset is taken as UTC.
 */
final class Dates {

    /** Seconds between 1601-01-01 (the Windows file time epoch) and 1970-01-01. */
    private static final long FILETIME_EPOCH_OFFSET_SECONDS = 11_644_473_600L;

    private static final List<DateTimeFormatter> INPUT_FORMATS = List.of(
            DateTimeFormatter.ISO_DATE_TIME,
            formatter("uuuu-MM-dd[XXX][X]"),
            formatter("uuuu-MM-dd HH:mm[:ss][.SSSSSSSSS][.SSSSSSS][.SSS][XXX][X]"),
            formatter("M/d/uuuu h:mm[:ss] a[ XXX]"),
            formatter("M/d/uuuu H:mm[:ss][ XXX]"),
            formatter("M/d/uuuu"),
            formatter("uuuuMMddHHmmss[.S]['Z']"));

    private Dates() {
    }

    private static DateTimeFormatter formatter(String pattern) {
        return new DateTimeFormatterBuilder().parseCaseInsensitive().appendPattern(pattern).toFormatter(Locale.US);
    }

    /** A value as a UTC date-time: a date-time as is, a string parsed leniently, a number as a file time. */
    static OffsetDateTime toDateTime(Object value) {
        if (value instanceof OffsetDateTime t) {
            return t.withOffsetSameInstant(ZoneOffset.UTC);
        }
        if (value instanceof Number n) {
            return fromFileTime(n.longValue());
        }
        String s = Values.str(value);
        if (s == null) {
            throw new EvaluationException("expected a date, found null");
        }
        return parse(s);
    }

    /** Parses a date string in one of the common ISO 8601 or US forms. */
    static OffsetDateTime parse(String text) {
        String s = text.trim();
        for (DateTimeFormatter f : INPUT_FORMATS) {
            try {
                return toUtc(f.parse(s));
            } catch (DateTimeParseException | ArithmeticException e) {
                // try the next form
            }
        }
        throw new EvaluationException("'" + text + "' is not a date and time");
    }

    /** Parses with a .NET custom format string. */
    static OffsetDateTime parse(String text, String dotNetFormat) {
        DateTimeFormatter f = new DateTimeFormatterBuilder().parseCaseInsensitive()
                .appendPattern(javaPattern(dotNetFormat)).toFormatter(Locale.US);
        try {
            return toUtc(f.parse(text.trim()));
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new EvaluationException("'" + text + "' does not have the format '" + dotNetFormat + "'", e);
        }
    }

    private static OffsetDateTime toUtc(TemporalAccessor parsed) {
        LocalDate date = parsed.query(TemporalQueries.localDate());
        if (date == null) {
            throw new ArithmeticException("no date");
        }
        LocalTime time = parsed.query(TemporalQueries.localTime());
        ZoneOffset offset = parsed.query(TemporalQueries.offset());
        return OffsetDateTime
                .of(date, time == null ? LocalTime.MIDNIGHT : time, offset == null ? ZoneOffset.UTC : offset)
                .withOffsetSameInstant(ZoneOffset.UTC);
    }

    /** Formats with a .NET custom format string. */
    static String format(OffsetDateTime value, String dotNetFormat) {
        return DateTimeFormatter.ofPattern(javaPattern(dotNetFormat), Locale.US).format(value);
    }

    static OffsetDateTime fromFileTime(long ticks) {
        long seconds = Math.floorDiv(ticks, 10_000_000L) - FILETIME_EPOCH_OFFSET_SECONDS;
        long nanos = Math.floorMod(ticks, 10_000_000L) * 100;
        return OffsetDateTime.ofInstant(Instant.ofEpochSecond(seconds, nanos), ZoneOffset.UTC);
    }

    static long toFileTime(OffsetDateTime value) {
        Instant i = value.toInstant();
        return (i.getEpochSecond() + FILETIME_EPOCH_OFFSET_SECONDS) * 10_000_000L + i.getNano() / 100;
    }

    /** Translates a .NET custom date and time format string into a {@link DateTimeFormatter} pattern. */
    static String javaPattern(String dotNet) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        int n = dotNet.length();
        while (i < n) {
            char c = dotNet.charAt(i);
            int run = 1;
            while (i + run < n && dotNet.charAt(i + run) == c) {
                run++;
            }
            switch (c) {
                case 'd' -> out.append(run == 1 ? "d" : run == 2 ? "dd" : run == 3 ? "EEE" : "EEEE");
                case 'M' -> out.append("M".repeat(Math.min(run, 4)));
                case 'y' -> out.append(run <= 2 ? "yy" : "y".repeat(Math.max(run, 4)));
                case 'h' -> out.append(run == 1 ? "h" : "hh");
                case 'H' -> out.append(run == 1 ? "H" : "HH");
                case 'm' -> out.append(run == 1 ? "m" : "mm");
                case 's' -> out.append(run == 1 ? "s" : "ss");
                case 'f', 'F' -> out.append("S".repeat(Math.min(run, 9)));
                case 't' -> out.append("a");
                case 'z' -> out.append(run >= 3 ? "xxx" : "x");
                case 'K' -> out.append("XXX");
                case 'g' -> out.append("G");
                case '%' -> {
                    // marks a single custom specifier; nothing to emit
                }
                case '\\' -> {
                    if (i + 1 < n) {
                        literal(out, String.valueOf(dotNet.charAt(i + 1)));
                        i += 2;
                        continue;
                    }
                }
                case '\'', '"' -> {
                    int close = dotNet.indexOf(c, i + 1);
                    int end = close < 0 ? n : close;
                    literal(out, dotNet.substring(i + 1, end));
                    i = end + 1;
                    continue;
                }
                default -> literal(out, String.valueOf(c).repeat(run));
            }
            i += run;
        }
        return out.toString();
    }

    private static void literal(StringBuilder out, String text) {
        if (text.isEmpty()) {
            return;
        }
        out.append('\'').append(text.replace("'", "''")).append('\'');
    }
}
