package dev.provisioning.mapping.expression;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.PatternSyntaxException;

import dev.provisioning.mapping.regex.BoundedRegex;
import dev.provisioning.mapping.regex.RegexBudgetExceededException;

/**
 * The functions of Entra's expression language (functions-for-customizing-application-data), except
 * {@code SelectUniqueValue}, which Entra supports only for Active Directory targets, plus
 * {@code AssertiveAppRoleAssignmentsComplex} (customize-application-attributes.md). Names are case-sensitive.
 *
 * <p>
 * Null and empty arguments, function by function, are in the table of the module's README. In short: the documentation
 * wins where it says something (Left, Word, Coalesce, Not, Switch, IgnoreFlowIfNullOrEmpty, the Is... functions);
 * otherwise a null source gives null ("null in, null out"), so the target attribute is not sent. An empty string is a
 * value for the string functions (Entra flows "" as is), and no value for the functions that must read a date, a number
 * or a role from it: they return null instead of failing the object, so an empty string from one function never breaks
 * the next ({@code FormatDateTime(IIF([x]="n/a", "", [x]), , "dd/MM/yyyy", "yyyy-MM-dd")}).
 */
final class Functions {

    private static final Map<String, Function> FUNCTIONS = new LinkedHashMap<>();

    private static final String DIGITS = "0123456789";
    private static final String UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private static final String LOWER = "abcdefghijklmnopqrstuvwxyz";
    /** The special characters of Windows' password complexity rules. */
    private static final String SPECIAL = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/";

    static {
        define("Append", 2, 2, "source, suffix", (c, x) -> {
            String source = Values.str(c.arg(0, x));
            if (source == null) {
                // null in, null out: Append([userPrincipalName], ".test") must not send ".test" alone
                return null;
            }
            String suffix = Values.str(c.arg(1, x));
            return suffix == null ? source : source + suffix;
        });
        define("AppRoleAssignmentsComplex", 1, 1, "[appRoleAssignments]", Functions::appRoleAssignmentsComplex);
        define("AssertiveAppRoleAssignmentsComplex", 1, 1, "[appRoleAssignments]",
                Functions::appRoleAssignmentsComplex);
        define("BitAnd", 2, 2, "value1, value2", (c, x) -> {
            Long a = Values.integer(c.arg(0, x));
            Long b = Values.integer(c.arg(1, x));
            if (a == null || b == null) {
                return null;
            }
            return a & b;
        });
        define("CBool", 1, 1, "expression", (c, x) -> {
            Object v = c.arg(0, x);
            return v == null ? null : Values.truth(v);
        });
        define("CDate", 1, 1, "expression", (c, x) -> {
            Object v = c.arg(0, x);
            return Values.isBlank(v) ? null : Dates.toDateTime(v);
        });
        define("Coalesce", 1, Integer.MAX_VALUE, "source1, source2, ..., defaultValue", (c, x) -> {
            for (int i = 0; i < c.size(); i++) {
                Object v = c.arg(i, x);
                if (v != null) {
                    return v;
                }
            }
            return null;
        });
        define("ConvertToBase64", 1, 1, "source", (c, x) -> {
            String s = Values.str(c.arg(0, x));
            return s == null ? null : Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_16LE));
        });
        define("ConvertToUTF8Hex", 1, 1, "source", (c, x) -> {
            String s = Values.str(c.arg(0, x));
            return s == null ? null : HexFormat.of().withUpperCase().formatHex(s.getBytes(StandardCharsets.UTF_8));
        });
        define("Count", 1, 1, "attribute", (c, x) -> {
            Object v = c.arg(0, x);
            // an empty string is an attribute without elements, not one empty element
            return v == null || "".equals(v) ? 0L : (long) Values.items(v).size();
        });
        define("CStr", 1, 1, "value", (c, x) -> Values.str(c.arg(0, x)));
        define("DateAdd", 3, 3, "interval, value, dateTime", Functions::dateAdd, intervalCheck("DateAdd"));
        define("DateDiff", 3, 3, "interval, date1, date2", Functions::dateDiff, intervalCheck("DateDiff"));
        define("DateFromNum", 1, 1, "value", (c, x) -> {
            Object v = c.arg(0, x);
            if (Values.isBlank(v)) {
                return null;
            }
            Long ticks = Values.integer(v);
            if (ticks == null) {
                throw new EvaluationException("DateFromNum expects a number, found '" + Values.str(v) + "'");
            }
            return Dates.fromFileTime(ticks);
        });
        define("FormatDateTime", 3, 4, "source, dateTimeStyles, inputFormat, outputFormat", Functions::formatDateTime);
        define("Guid", 0, 0, "", (c, x) -> randomUuid(x.random()).toString());
        define("IgnoreFlowIfNullOrEmpty", 1, 1, "expression", (c, x) -> {
            Object v = c.arg(0, x);
            return Values.isNullOrEmpty(v) ? Expression.IGNORE : v;
        });
        define("IIF", 3, 3, "condition, valueIfTrue, valueIfFalse",
                (c, x) -> Values.truth(c.arg(0, x)) ? c.arg(1, x) : c.arg(2, x));
        define("InStr", 2, 4, "value1, value2, start, compareType", Functions::inStr);
        define("IsNull", 1, 1, "expression", (c, x) -> c.arg(0, x) == null);
        define("IsNullOrEmpty", 1, 1, "expression", (c, x) -> Values.isNullOrEmpty(c.arg(0, x)));
        define("IsPresent", 1, 1, "expression", (c, x) -> !Values.isNullOrEmpty(c.arg(0, x)));
        define("IsString", 1, 1, "expression", (c, x) -> c.arg(0, x) instanceof String);
        define("Item", 2, 2, "attribute, index", (c, x) -> {
            List<Object> items = Values.items(c.arg(0, x));
            Long index = Values.integer(c.arg(1, x));
            if (index == null || index < 1 || index > items.size()) {
                return null;
            }
            return items.get((int) (index - 1));
        });
        define("Join", 2, Integer.MAX_VALUE, "separator, source1, source2, ...", Functions::join);
        define("Left", 2, 2, "String, NumChars", (c, x) -> {
            String s = Values.str(c.arg(0, x));
            Long n = Values.integer(c.arg(1, x));
            if (s == null) {
                return "";
            }
            if (n == null || n < 0 || n >= s.length()) {
                return s;
            }
            return s.substring(0, n.intValue());
        });
        define("Mid", 3, 3, "source, start, length", (c, x) -> {
            String s = Values.str(c.arg(0, x));
            Long start = Values.integer(c.arg(1, x));
            Long length = Values.integer(c.arg(2, x));
            if (s == null || start == null || length == null) {
                return null;
            }
            int from = (int) Math.max(0, Math.min(start - 1, s.length()));
            int to = (int) Math.max(from, Math.min((long) from + Math.max(0, length), s.length()));
            return s.substring(from, to);
        });
        define("NormalizeDiacritics", 1, 1, "source", (c, x) -> normalizeDiacritics(Values.str(c.arg(0, x))));
        define("Not", 1, 1, "source", (c, x) -> !Values.truth(c.arg(0, x)));
        define("Now", 0, 0, "", (c, x) -> OffsetDateTime.now(x.clock()).withOffsetSameInstant(ZoneOffset.UTC)
                .truncatedTo(ChronoUnit.SECONDS));
        define("NumFromDate", 1, 1, "value", (c, x) -> {
            Object v = c.arg(0, x);
            return Values.isBlank(v) ? null : Dates.toFileTime(Dates.toDateTime(v));
        });
        define("PCase", 1, 2, "source, wordSeparators", (c, x) -> {
            String s = Values.str(c.arg(0, x));
            return s == null ? null : properCase(s, c.missing(1) ? null : Values.str(c.arg(1, x)));
        });
        define("RandomString", 5, 6,
                "Length, MinimumNumbers, MinimumSpecialCharacters, MinimumCapital, MinimumLowerCase, CharactersToAvoid",
                Functions::randomString);
        define("Redact", 1, 1, "attribute/value", (c, x) -> c.arg(0, x));
        define("RemoveDuplicates", 1, 1, "attribute", (c, x) -> {
            Object v = c.arg(0, x);
            if (!(v instanceof List<?> list)) {
                return v;
            }
            return List.copyOf(new LinkedHashSet<>(list));
        });
        define("Replace", 7, 7,
                "source, oldValue, regexPattern, regexGroupName, replacementValue, replacementAttributeName, template",
                Functions::replace, Functions::prepareReplace);
        define("SingleAppRoleAssignment", 1, 1, "[appRoleAssignments]", (c, x) -> {
            // Entra: "There's no guarantee which role is provisioned" when there are several; here the first, in the
            // order of the event's assignments (the detector sorts them by app role id), so the choice is stable.
            List<Object> roles = roles(c.arg(0, x));
            return roles.isEmpty() ? null : roleValue(roles.get(0));
        });
        define("Split", 2, 2, "source, delimiter", Functions::split);
        define("StripSpaces", 1, 1, "source", (c, x) -> {
            String s = Values.str(c.arg(0, x));
            return s == null ? null : s.replace(" ", "");
        });
        define("Switch", 4, Integer.MAX_VALUE, "source, defaultValue, key1, value1, key2, value2, ...",
                Functions::switchFunction, (args, position) -> {
                    if (args.size() % 2 != 0) {
                        throw new ExpressionParseException(position, "Switch takes its keys and values in pairs "
                                + "(source, defaultValue, key1, value1, ...): expected an even number of arguments, found "
                                + args.size());
                    }
                    return null;
                });
        define("ToLower", 1, 2, "source, culture", (c, x) -> {
            String s = Values.str(c.arg(0, x));
            return s == null ? null : s.toLowerCase(culture(c, x));
        });
        define("ToUpper", 1, 2, "source, culture", (c, x) -> {
            String s = Values.str(c.arg(0, x));
            return s == null ? null : s.toUpperCase(culture(c, x));
        });
        define("Word", 3, 3, "String, WordNumber, Delimiters", Functions::word);
    }

    private Functions() {
    }

    static Function get(String name) {
        return FUNCTIONS.get(name);
    }

    /** The properly cased name of a function whose name differs only in case, if any. */
    static Optional<String> caseInsensitiveMatch(String name) {
        return FUNCTIONS.keySet().stream().filter(n -> n.equalsIgnoreCase(name)).findFirst();
    }

    /** Every function name, in documentation order. */
    static List<String> names() {
        return List.copyOf(FUNCTIONS.keySet());
    }

    private static void define(String name, int min, int max, String signature, Function.Implementation impl) {
        define(name, min, max, signature, impl, null);
    }

    private static void define(String name, int min, int max, String signature, Function.Implementation impl,
            Function.Preparer preparer) {
        FUNCTIONS.put(name, new Function(name, min, max, signature, impl, preparer));
    }

    // --- dates ---

    private static final List<String> INTERVALS = List.of("yyyy", "m", "d", "ww", "h", "n", "s");

    private static Function.Preparer intervalCheck(String function) {
        return (args, position) -> {
            if (args.get(0) instanceof Node.Literal l && !INTERVALS.contains(Values.str(l.value()))) {
                throw new ExpressionParseException(l.position(), function + ": unknown interval \""
                        + Values.str(l.value()) + "\", expected one of " + String.join(", ", INTERVALS));
            }
            return null;
        };
    }

    private static String interval(Object value) {
        String interval = Values.str(value);
        if (interval == null || !INTERVALS.contains(interval)) {
            throw new EvaluationException("unknown interval '" + interval + "', expected one of " + INTERVALS);
        }
        return interval;
    }

    private static Object dateAdd(Node.Call c, EvaluationContext x) {
        Object intervalValue = c.arg(0, x);
        Object amount = c.arg(1, x);
        Object date = c.arg(2, x);
        if (Values.isBlank(intervalValue) || Values.isBlank(amount) || Values.isBlank(date)) {
            return null;
        }
        String interval = interval(intervalValue);
        Long n = Values.integer(amount);
        if (n == null) {
            throw new EvaluationException(
                    "DateAdd expects a whole number of units, found '" + Values.str(amount) + "'");
        }
        OffsetDateTime t = Dates.toDateTime(date);
        return switch (interval) {
            case "yyyy" -> t.plusYears(n);
            case "m" -> t.plusMonths(n);
            case "d" -> t.plusDays(n);
            case "ww" -> t.plusWeeks(n);
            case "h" -> t.plusHours(n);
            case "n" -> t.plusMinutes(n);
            default -> t.plusSeconds(n);
        };
    }

    /** VBA's DateDiff: the number of interval boundaries crossed from date1 to date2 (weeks start on Sunday). */
    private static Object dateDiff(Node.Call c, EvaluationContext x) {
        Object intervalValue = c.arg(0, x);
        Object v1 = c.arg(1, x);
        Object v2 = c.arg(2, x);
        if (Values.isBlank(intervalValue) || Values.isBlank(v1) || Values.isBlank(v2)) {
            return null;
        }
        String interval = interval(intervalValue);
        OffsetDateTime d1 = Dates.toDateTime(v1);
        OffsetDateTime d2 = Dates.toDateTime(v2);
        long s1 = d1.toEpochSecond();
        long s2 = d2.toEpochSecond();
        long day1 = d1.toLocalDate().toEpochDay();
        long day2 = d2.toLocalDate().toEpochDay();
        return switch (interval) {
            case "yyyy" -> (long) d2.getYear() - d1.getYear();
            case "m" -> (d2.getYear() * 12L + d2.getMonthValue()) - (d1.getYear() * 12L + d1.getMonthValue());
            case "d" -> day2 - day1;
            // 1970-01-04 (epoch day 3) was a Sunday
            case "ww" -> Math.floorDiv(day2 + 4, 7) - Math.floorDiv(day1 + 4, 7);
            case "h" -> Math.floorDiv(s2, 3600) - Math.floorDiv(s1, 3600);
            case "n" -> Math.floorDiv(s2, 60) - Math.floorDiv(s1, 60);
            default -> s2 - s1;
        };
    }

    private static Object formatDateTime(Node.Call c, EvaluationContext x) {
        // FormatDateTime(source, dateTimeStyles, inputFormat, outputFormat), or the older form without dateTimeStyles.
        // dateTimeStyles is accepted and ignored: parsing always allows surrounding white space and keeps offsets.
        Object source = c.arg(0, x);
        int input = c.size() == 4 ? 2 : 1;
        String inputFormat = Values.str(c.arg(input, x));
        String outputFormat = Values.str(c.arg(input + 1, x));
        if (Values.isBlank(source)) {
            // "" is how administrators skip a value that is not a date (IIF([x]="n/a", "", [x])): no date, no value
            return null;
        }
        if (inputFormat == null || outputFormat == null) {
            throw new EvaluationException("FormatDateTime needs an input and an output format");
        }
        OffsetDateTime t = source instanceof OffsetDateTime d ? d : Dates.parse(Values.str(source), inputFormat);
        try {
            return Dates.format(t, outputFormat);
        } catch (RuntimeException e) {
            throw new EvaluationException("FormatDateTime cannot format with '" + outputFormat + "': " + e.getMessage(),
                    e);
        }
    }

    // --- strings ---

    private static Object inStr(Node.Call c, EvaluationContext x) {
        String haystack = Values.str(c.arg(0, x));
        String needle = Values.str(c.arg(1, x));
        if (haystack == null || needle == null) {
            return null;
        }
        long start = 1;
        Object startValue = c.arg(2, x);
        if (!Values.isBlank(startValue)) {
            Long s = Values.integer(startValue);
            if (s == null || s < 1) {
                throw new EvaluationException("InStr expects a start position of 1 or more");
            }
            start = s;
        }
        boolean text = "vbTextCompare".equals(Values.str(c.arg(3, x)));
        if (start > haystack.length() + 1) {
            return 0L;
        }
        if (text) {
            haystack = haystack.toLowerCase(Locale.ROOT);
            needle = needle.toLowerCase(Locale.ROOT);
        }
        return (long) haystack.indexOf(needle, (int) start - 1) + 1;
    }

    private static Object join(Node.Call c, EvaluationContext x) {
        String separator = Values.str(c.arg(0, x));
        StringBuilder sb = new StringBuilder();
        boolean any = false;
        for (int i = 1; i < c.size(); i++) {
            for (Object item : Values.items(c.arg(i, x))) {
                String s = Values.str(item);
                if (s == null || s.isEmpty()) {
                    continue;
                }
                if (any && separator != null) {
                    sb.append(separator);
                }
                sb.append(s);
                any = true;
            }
        }
        return any ? sb.toString() : null;
    }

    private static Object split(Node.Call c, EvaluationContext x) {
        String s = Values.str(c.arg(0, x));
        String delimiter = Values.str(c.arg(1, x));
        if (s == null) {
            return null;
        }
        if (s.isEmpty()) {
            // nothing to split: no values (a multi-valued attribute without elements), not one empty value
            return List.of();
        }
        if (delimiter == null || delimiter.isEmpty()) {
            return List.of(s);
        }
        List<Object> parts = new ArrayList<>();
        int from = 0;
        while (true) {
            int at = s.indexOf(delimiter, from);
            String part = at < 0 ? s.substring(from) : s.substring(from, at);
            // The documented example ("PermissionSetOne, PermissionSetTwo" split on ",") yields trimmed values.
            parts.add(part.strip());
            if (at < 0) {
                break;
            }
            from = at + delimiter.length();
        }
        return Collections.unmodifiableList(parts);
    }

    private static Object switchFunction(Node.Call c, EvaluationContext x) {
        Object source = c.arg(0, x);
        // A null source matches the key "" (the documented way to test for an empty value).
        String s = source == null ? "" : Values.str(source);
        for (int i = 2; i + 1 < c.size(); i += 2) {
            String key = Values.str(c.arg(i, x));
            if (s.equals(key == null ? "" : key)) {
                return c.arg(i + 1, x);
            }
        }
        return c.arg(1, x);
    }

    private static Object word(Node.Call c, EvaluationContext x) {
        String s = Values.str(c.arg(0, x));
        Long number = Values.integer(c.arg(1, x));
        String delimiters = Values.str(c.arg(2, x));
        if (s == null || number == null || number < 1) {
            return "";
        }
        if (delimiters == null) {
            delimiters = "";
        }
        long seen = 0;
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && delimiters.indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            if (i >= n) {
                break;
            }
            int start = i;
            while (i < n && delimiters.indexOf(s.charAt(i)) < 0) {
                i++;
            }
            if (++seen == number) {
                return s.substring(start, i);
            }
        }
        return "";
    }

    private static Locale culture(Node.Call c, EvaluationContext x) {
        String culture = c.missing(1) ? null : Values.str(c.arg(1, x));
        return culture == null || culture.isBlank() ? Locale.ROOT : Locale.forLanguageTag(culture);
    }

    /**
     * PCase: lower-cases the string and upper-cases the first letter of each word. Without explicit separators a word
     * starts after any character that is neither a letter, a digit nor a combining mark (as .NET's ToTitleCase).
     */
    static String properCase(String s, String separators) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean startOfWord = true;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            boolean separator = separators != null ? separators.indexOf(ch) >= 0 : isDefaultWordSeparator(ch);
            if (separator) {
                sb.append(ch);
                startOfWord = true;
            } else {
                sb.append(startOfWord ? Character.toUpperCase(ch) : Character.toLowerCase(ch));
                startOfWord = false;
            }
        }
        return sb.toString();
    }

    private static boolean isDefaultWordSeparator(char ch) {
        if (Character.isLetterOrDigit(ch)) {
            return false;
        }
        int type = Character.getType(ch);
        return type != Character.NON_SPACING_MARK && type != Character.COMBINING_SPACING_MARK
                && type != Character.ENCLOSING_MARK;
    }

    /** Removes diacritics (Unicode decomposition, then the letters that do not decompose, as Entra's table lists). */
    static String normalizeDiacritics(String s) {
        if (s == null) {
            return null;
        }
        String decomposed = Normalizer.normalize(s, Normalizer.Form.NFD);
        StringBuilder sb = new StringBuilder(decomposed.length());
        for (int i = 0; i < decomposed.length(); i++) {
            char ch = decomposed.charAt(i);
            int type = Character.getType(ch);
            if (type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
                    || type == Character.ENCLOSING_MARK) {
                continue;
            }
            switch (ch) {
                case 'æ' -> sb.append("ae");
                case 'Æ' -> sb.append("AE");
                case 'ø', 'œ' -> sb.append("oe");
                case 'Ø', 'Œ' -> sb.append("OE");
                case 'ß' -> sb.append("ss");
                case 'ł' -> sb.append('l');
                case 'Ł' -> sb.append('L');
                case 'ı' -> sb.append('i');
                case 'đ' -> sb.append('d');
                case 'Đ' -> sb.append('D');
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }

    // --- Replace ---

    /** What Replace prepares from a literal regexPattern: the compiled pattern. Refuses a Replace with neither. */
    private static Object prepareReplace(List<Node> args, int position) {
        if (args.get(1) instanceof Node.Missing && args.get(2) instanceof Node.Missing) {
            throw new ExpressionParseException(position, "Replace needs an oldValue or a regexPattern");
        }
        if (args.get(2) instanceof Node.Literal l) {
            return compileRegex(Values.str(l.value()), l.position());
        }
        return null;
    }

    private static BoundedRegex compileRegex(String regex, int position) {
        try {
            return BoundedRegex.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new ExpressionParseException(position,
                    "Replace: regexPattern is not a valid regular expression: " + e.getDescription());
        }
    }

    private static Object replace(Node.Call c, EvaluationContext x) {
        Object sourceValue = c.arg(0, x);
        String source = Values.str(sourceValue);
        String oldValue = c.missing(1) ? null : Values.str(c.arg(1, x));
        String groupName = c.missing(3) ? null : Values.str(c.arg(3, x));
        String replacement = c.missing(4) ? null : Values.str(c.arg(4, x));
        boolean hasReplacementAttribute = !c.missing(5);
        String template = c.missing(6) ? null : Values.str(c.arg(6, x));

        if (c.missing(2)) {
            if (oldValue == null) {
                // oldValue is given (the parser refuses a Replace with neither) but has no value: nothing to replace
                return source;
            }
            if (template != null) {
                // Replaces oldValue in the template with the source value.
                return source == null ? null : template.replace(oldValue, source);
            }
            if (source == null) {
                return null;
            }
            return oldValue.isEmpty() ? source : source.replace(oldValue, replacement == null ? "" : replacement);
        }

        BoundedRegex regex = c.prepared() instanceof BoundedRegex r ? r : dynamicRegex(c, x);
        if (regex == null) {
            // regexPattern is given but has no value: nothing to match, nothing replaced
            return source;
        }
        try {
            if (groupName != null && hasReplacementAttribute) {
                // Source wins when it has a value; else extract the group from the replacement attribute.
                if (source != null && !source.isEmpty()) {
                    return source;
                }
                String other = Values.str(c.arg(5, x));
                if (other == null) {
                    return null;
                }
                Matcher m = regex.matcher(other);
                return m.find() ? m.group(groupName) : null;
            }
            if (source == null) {
                return null;
            }
            String value = replacement == null ? "" : replacement;
            if (groupName != null) {
                return replaceGroup(regex, source, groupName, value);
            }
            return regex.matcher(source).replaceAll(javaReplacement(value));
        } catch (IllegalArgumentException e) {
            throw new EvaluationException("Replace: " + e.getMessage(), e);
        } catch (RegexBudgetExceededException e) {
            throw new EvaluationException("Replace: " + e.getMessage(), e);
        }
    }

    /** A regexPattern computed per object; null when it has no value. */
    private static BoundedRegex dynamicRegex(Node.Call c, EvaluationContext x) {
        String pattern = Values.str(c.arg(2, x));
        if (Values.isBlank(pattern)) {
            return null;
        }
        try {
            return BoundedRegex.compile(pattern);
        } catch (PatternSyntaxException e) {
            throw new EvaluationException("Replace: invalid regular expression: " + e.getDescription(), e);
        }
    }

    /** Replaces, in every match, the span of the named group with a literal value. */
    private static String replaceGroup(BoundedRegex regex, String source, String group, String value) {
        Matcher m = regex.matcher(source);
        StringBuilder sb = new StringBuilder();
        int last = 0;
        while (m.find()) {
            int start = m.start(group);
            if (start < 0) {
                continue;
            }
            sb.append(source, last, start).append(value);
            last = m.end(group);
        }
        sb.append(source, last, source.length());
        return sb.toString();
    }

    /**
     * .NET replacement strings use {@code $1}, {@code ${name}} and {@code $$}; backslashes are literal. Java's treat
     * backslashes as escapes and have no {@code $$}.
     */
    private static String javaReplacement(String dotNet) {
        StringBuilder sb = new StringBuilder(dotNet.length());
        for (int i = 0; i < dotNet.length(); i++) {
            char ch = dotNet.charAt(i);
            if (ch == '\\') {
                sb.append("\\\\");
            } else if (ch == '$') {
                char next = i + 1 < dotNet.length() ? dotNet.charAt(i + 1) : 0;
                if (next == '$') {
                    sb.append("\\$");
                    i++;
                } else if (next == '{' || Character.isDigit(next)) {
                    sb.append('$');
                } else {
                    sb.append("\\$");
                }
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }

    // --- roles, random ---

    /**
     * AppRoleAssignmentsComplex and AssertiveAppRoleAssignmentsComplex: every role as a SCIM role (RFC 7643 section
     * 4.1.2: value, display, type, primary), all with {@code primary} false (customize-application-attributes.md,
     * "Things to consider": "All roles are provisioned as primary = false"). The two differ only in how the target's
     * roles are patched (add versus replace), which is the writer's business, not the value's.
     */
    private static Object appRoleAssignmentsComplex(Node.Call c, EvaluationContext x) {
        List<Object> roles = roles(c.arg(0, x));
        if (roles.isEmpty()) {
            return null;
        }
        List<Object> complex = new ArrayList<>(roles.size());
        for (Object role : roles) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("primary", Boolean.FALSE);
            entry.put("type", "WindowsAzureActiveDirectoryRole");
            entry.put("display", role instanceof AppRole r ? r.display() : Values.str(role));
            entry.put("value", roleValue(role));
            complex.add(Collections.unmodifiableMap(entry));
        }
        return Collections.unmodifiableList(complex);
    }

    /** The roles of an {@code [appRoleAssignments]} value; a null or empty value has none. */
    private static List<Object> roles(Object value) {
        if (Values.isBlank(value)) {
            return List.of();
        }
        List<Object> items = Values.items(value);
        for (Object item : items) {
            if (Values.isBlank(item)) {
                return items.stream().filter(i -> !Values.isBlank(i)).toList();
            }
        }
        return items;
    }

    /** What a role is provisioned as: an {@link AppRole}'s value (see {@link AppRole#name()}), else the string. */
    private static String roleValue(Object role) {
        return role instanceof AppRole r ? r.name() : Values.str(role);
    }

    private static UUID randomUuid(RandomGenerator random) {
        long msb = (random.nextLong() & ~0xF000L) | 0x4000L;
        long lsb = (random.nextLong() & ~(0xC000000000000000L)) | 0x8000000000000000L;
        return new UUID(msb, lsb);
    }

    private static Object randomString(Node.Call c, EvaluationContext x) {
        int length = intArg(c, x, 0, "Length");
        int numbers = intArg(c, x, 1, "MinimumNumbers");
        int special = intArg(c, x, 2, "MinimumSpecialCharacters");
        int capital = intArg(c, x, 3, "MinimumCapital");
        int lower = intArg(c, x, 4, "MinimumLowerCase");
        String avoid = c.missing(5) ? "" : Values.str(c.arg(5, x));
        if (length > 256) {
            throw new EvaluationException("RandomString: Length is at most 256");
        }
        if (numbers + special + capital + lower > length) {
            throw new EvaluationException("RandomString: the minimums add up to more than Length");
        }
        String digits = without(DIGITS, avoid);
        String specials = without(SPECIAL, avoid);
        String uppers = without(UPPER, avoid);
        String lowers = without(LOWER, avoid);
        String all = digits + specials + uppers + lowers;
        if ((numbers > 0 && digits.isEmpty()) || (special > 0 && specials.isEmpty())
                || (capital > 0 && uppers.isEmpty()) || (lower > 0 && lowers.isEmpty()) || all.isEmpty()) {
            throw new EvaluationException("RandomString: CharactersToAvoid leaves no character to use");
        }
        RandomGenerator random = x.random();
        List<Character> chars = new ArrayList<>(length);
        pick(chars, digits, numbers, random);
        pick(chars, specials, special, random);
        pick(chars, uppers, capital, random);
        pick(chars, lowers, lower, random);
        pick(chars, all, length - chars.size(), random);
        for (int i = chars.size() - 1; i > 0; i--) {
            Collections.swap(chars, i, random.nextInt(i + 1));
        }
        StringBuilder sb = new StringBuilder(length);
        chars.forEach(sb::append);
        return sb.toString();
    }

    private static int intArg(Node.Call c, EvaluationContext x, int i, String name) {
        Long v = Values.integer(c.arg(i, x));
        if (v == null || v < 0) {
            throw new EvaluationException("RandomString: " + name + " must be a whole number of 0 or more");
        }
        return (int) Math.min(v, Integer.MAX_VALUE);
    }

    private static String without(String chars, String avoid) {
        if (avoid == null || avoid.isEmpty()) {
            return chars;
        }
        StringBuilder sb = new StringBuilder();
        for (char ch : chars.toCharArray()) {
            if (avoid.indexOf(ch) < 0) {
                sb.append(ch);
            }
        }
        return sb.toString();
    }

    private static void pick(List<Character> out, String from, int count, RandomGenerator random) {
        for (int i = 0; i < count; i++) {
            out.add(from.charAt(random.nextInt(from.length())));
        }
    }
}
