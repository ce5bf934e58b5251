package dev.provisioning.druva;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The subset of the RFC 7644 filter grammar that Druva (and Entra's matching) uses: one or more
 * {@code <attribute> eq <value>} comparisons joined by {@code and}. Keywords and attribute names are
 * case-insensitive; string values are JSON strings in double quotes ({@code \"} escapes allowed).
 * Anything else ({@code or}, {@code not}, parentheses, other operators) is rejected as {@code invalidFilter}.
 */
final class ScimFilter {

    private static final String CORE_USER_PREFIX = "urn:ietf:params:scim:schemas:core:2.0:user:";
    private static final String CORE_GROUP_PREFIX = "urn:ietf:params:scim:schemas:core:2.0:group:";

    /**
     * One comparison.
     *
     * @param attribute the attribute path, lower-cased, whitespace-normalised and without the core schema prefix,
     *        e.g. {@code username} or {@code emails[type eq "work"].value}
     * @param value the compared value: a {@link String}, a {@link Boolean} or null
     */
    record Clause(String attribute, Object value) {
    }

    private final String text;
    private int pos;

    private ScimFilter(String text) {
        this.text = text;
    }

    /**
     * Parses a filter and checks that every attribute is one of {@code supported}.
     *
     * @throws ScimException {@code invalidFilter} when the filter is malformed or uses something unsupported
     */
    static List<Clause> parse(String filter, Set<String> supported) {
        ScimFilter parser = new ScimFilter(filter);
        List<Clause> clauses = new ArrayList<>();
        clauses.add(parser.comparison(supported));
        while (true) {
            parser.skipSpaces();
            if (parser.atEnd()) {
                return clauses;
            }
            String keyword = parser.word();
            if (!keyword.equalsIgnoreCase("and")) {
                throw ScimException.invalidFilter("Unsupported filter: only 'and' may join comparisons, found '"
                        + keyword + "' in: " + filter);
            }
            clauses.add(parser.comparison(supported));
        }
    }

    private Clause comparison(Set<String> supported) {
        skipSpaces();
        String attribute = normaliseAttribute(attributePath());
        if (attribute.isEmpty()) {
            throw ScimException.invalidFilter("Expected an attribute at position " + pos + " in: " + text);
        }
        if (!supported.contains(attribute)) {
            throw ScimException.invalidFilter("Unsupported filter attribute '" + attribute + "' in: " + text);
        }
        skipSpaces();
        String operator = word();
        if (!operator.equalsIgnoreCase("eq")) {
            throw ScimException.invalidFilter("Unsupported filter operator '" + operator + "': only 'eq' is supported");
        }
        skipSpaces();
        return new Clause(attribute, value());
    }

    /** Reads an attribute path; a {@code [...]} value filter inside it may contain spaces and quoted strings. */
    private String attributePath() {
        int start = pos;
        while (!atEnd()) {
            char c = text.charAt(pos);
            if (c == '[') {
                pos++;
                while (!atEnd() && text.charAt(pos) != ']') {
                    if (text.charAt(pos) == '"') {
                        quoted();
                    } else {
                        pos++;
                    }
                }
                if (atEnd()) {
                    throw ScimException.invalidFilter("Unclosed '[' in: " + text);
                }
                pos++;
            } else if (Character.isLetterOrDigit(c) || c == '.' || c == ':' || c == '_' || c == '$' || c == '-') {
                pos++;
            } else {
                break;
            }
        }
        return text.substring(start, pos);
    }

    private Object value() {
        if (atEnd()) {
            throw ScimException.invalidFilter("Missing comparison value in: " + text);
        }
        if (text.charAt(pos) == '"') {
            return quoted();
        }
        String literal = word();
        switch (literal.toLowerCase(Locale.ROOT)) {
            case "true" :
                return Boolean.TRUE;
            case "false" :
                return Boolean.FALSE;
            case "null" :
                return null;
            default :
                throw ScimException.invalidFilter("Unsupported filter value '" + literal
                        + "': strings must be in double quotes, in: " + text);
        }
    }

    /** Reads a JSON string starting at the opening quote and returns its unescaped content. */
    private String quoted() {
        StringBuilder out = new StringBuilder();
        pos++;
        while (!atEnd()) {
            char c = text.charAt(pos++);
            if (c == '"') {
                return out.toString();
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (atEnd()) {
                break;
            }
            char escaped = text.charAt(pos++);
            switch (escaped) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'u' -> {
                    if (pos + 4 > text.length()) {
                        throw ScimException.invalidFilter("Bad \\u escape in: " + text);
                    }
                    try {
                        out.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                    } catch (NumberFormatException e) {
                        throw ScimException.invalidFilter("Bad \\u escape in: " + text);
                    }
                    pos += 4;
                }
                default -> out.append(escaped);
            }
        }
        throw ScimException.invalidFilter("Unterminated string in: " + text);
    }

    private String word() {
        int start = pos;
        while (!atEnd() && !Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
        return text.substring(start, pos);
    }

    private void skipSpaces() {
        while (!atEnd() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private boolean atEnd() {
        return pos >= text.length();
    }

    /**
     * Lower-cases an attribute path, strips the core schema URN prefix and normalises the whitespace and the
     * quoted value inside a {@code [type eq "work"]} value filter, so it can be compared with a fixed set.
     */
    static String normaliseAttribute(String path) {
        String p = path.trim().toLowerCase(Locale.ROOT);
        if (p.startsWith(CORE_USER_PREFIX)) {
            p = p.substring(CORE_USER_PREFIX.length());
        } else if (p.startsWith(CORE_GROUP_PREFIX)) {
            p = p.substring(CORE_GROUP_PREFIX.length());
        }
        return p.replaceAll("\\s+", " ").replace("[ ", "[").replace(" ]", "]");
    }
}
