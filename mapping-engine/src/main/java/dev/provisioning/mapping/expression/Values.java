package dev.provisioning.mapping.expression;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Conversions between the value kinds of the expression language. Values are plain Java objects: {@code null},
 * {@link String}, {@link Boolean}, {@link Long} or {@link Double} (other {@link Number}s are accepted), a
 * {@link List} (multi-valued), an {@link OffsetDateTime} in UTC (from {@code CDate}, {@code Now}, ...), an
 * {@link AppRole} (an item of {@code [appRoleAssignments]}, read as its value) or a {@link Map} (a complex value such as
 * an app role from {@code AppRoleAssignmentsComplex}).
 *
 * <p>
 * As in Entra (.NET), booleans print as {@code True}/{@code False} and date-times as {@code M/d/yyyy h:mm:ss tt} in UTC.
 */
public final class Values {

    /** Entra's date-time output format, {@code M/d/yyyy h:mm:ss tt}. */
    public static final DateTimeFormatter ENTRA_DATE_TIME = DateTimeFormatter.ofPattern("M/d/yyyy h:mm:ss a",
            Locale.US);

    private Values() {
    }

    /** The string form of a value, or null for null. Lists join their items with a comma. */
    public static String str(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (value instanceof Double || value instanceof Float || value instanceof BigDecimal) {
            double d = ((Number) value).doubleValue();
            if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e18) {
                return Long.toString((long) d);
            }
            return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
        }
        if (value instanceof Number n) {
            return n.toString();
        }
        if (value instanceof OffsetDateTime t) {
            return ENTRA_DATE_TIME.format(t.withOffsetSameInstant(ZoneOffset.UTC));
        }
        if (value instanceof AppRole role) {
            return role.name();
        }
        if (value instanceof Collection<?> c) {
            List<String> parts = new ArrayList<>(c.size());
            for (Object o : c) {
                String s = str(o);
                if (s != null) {
                    parts.add(s);
                }
            }
            return String.join(",", parts);
        }
        return value.toString();
    }

    /**
     * Whether a value is absent for a function that must read something from it (a date, a number, a role): null, or a
     * string that is empty or only white space. Such functions return null for it, so the target attribute is not sent,
     * instead of failing the object (an empty string from one function must not break the next).
     */
    public static boolean isBlank(Object value) {
        return value == null || (value instanceof String s && s.isBlank());
    }

    /** Whether a value is null, an empty string or an empty list. */
    public static boolean isNullOrEmpty(Object value) {
        if (value == null) {
            return true;
        }
        if (value instanceof String s) {
            return s.isEmpty();
        }
        if (value instanceof Collection<?> c) {
            return c.isEmpty();
        }
        return false;
    }

    /**
     * The truth of a value: a Boolean, the strings {@code True}/{@code False} (any case), a number (non-zero is true) or a
     * numeric string. Anything else, including null, is false.
     */
    public static boolean truth(Object value) {
        if (value instanceof Boolean b) {
            return b;
        }
        if (value instanceof Number n) {
            return n.doubleValue() != 0;
        }
        if (value instanceof String s) {
            String t = s.trim();
            if (t.equalsIgnoreCase("true")) {
                return true;
            }
            if (t.equalsIgnoreCase("false") || t.isEmpty()) {
                return false;
            }
            Double d = parseNumber(t);
            return d != null && d != 0;
        }
        return false;
    }

    /** A boolean if the value is one ({@code True}/{@code False} strings in any case included), else null. */
    public static Boolean asBoolean(Object value) {
        if (value instanceof Boolean b) {
            return b;
        }
        if (value instanceof String s) {
            String t = s.trim();
            if (t.equalsIgnoreCase("true")) {
                return Boolean.TRUE;
            }
            if (t.equalsIgnoreCase("false")) {
                return Boolean.FALSE;
            }
        }
        return null;
    }

    /** The value as a number, or null if it is not one. */
    public static Double number(Object value) {
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        if (value instanceof String s) {
            return parseNumber(s.trim());
        }
        if (value instanceof Boolean b) {
            // VBA: True is -1; Entra converts True to 1 in numeric contexts of its functions.
            return b ? 1.0 : 0.0;
        }
        return null;
    }

    /** The value as a long, or null if it is not an integral number. */
    public static Long integer(Object value) {
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof String s) {
            return parseLong(s.trim());
        }
        Double d = number(value);
        if (d != null && d == Math.rint(d) && !Double.isInfinite(d)) {
            return d.longValue();
        }
        return null;
    }

    /** Parses a decimal integer, or null. */
    public static Long parseLong(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        try {
            return Long.parseLong(s.startsWith("+") ? s.substring(1) : s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Double parseNumber(String s) {
        if (s.isEmpty()) {
            return null;
        }
        char c = s.charAt(0);
        if (!(c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'))) {
            return null;
        }
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The items of a multi-valued value; a single value is a list of one, null is empty. */
    public static List<Object> items(Object value) {
        if (value == null) {
            return List.of();
        }
        if (value instanceof List<?> l) {
            @SuppressWarnings("unchecked")
            List<Object> items = (List<Object>) l;
            return items;
        }
        if (value instanceof Collection<?> c) {
            return new ArrayList<>(c);
        }
        return List.of(value);
    }

    /** A number as the language returns it: a Long when integral, else a Double. */
    public static Object num(double d) {
        if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 9.0e18) {
            return (long) d;
        }
        return d;
    }
}
