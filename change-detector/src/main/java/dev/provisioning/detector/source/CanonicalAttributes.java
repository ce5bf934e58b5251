package dev.provisioning.detector.source;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.events.Assignment;
import dev.provisioning.events.Json;

/**
 * A user's attributes held compactly: only their canonical JSON ({@code Json.write(new TreeMap<>(attributes))}, keys
 * sorted), computed once when the user's element is first read. The map is read-only and parsed from that JSON on
 * each access, keys in sorted order, values as a directory file gives them (String, Boolean, Long, Double, List of
 * String). The canonical JSON is what {@code CyclePlanner}'s state hash starts with, so a user whose element did not
 * change is hashed without building its map; the last state hash computed for it is kept with it
 * ({@link #stateHash}).
 *
 * <p>
 * The JSON is held without its keys (issue 13: about 100 of a user's 300 bytes, and the same for most users of a
 * tenant): the text between the values ({@code {"accountEnabled":}, {@code ,"department":}, ..., <code>}</code>) is a
 * {@link Shape} that users with the same keys share (up to {@value #MAX_SHAPES} shapes; past them a user holds its
 * own), and the values are one UTF-8 {@code byte[]}, separated by a byte that compact JSON never holds raw (0x01: a
 * control character, escaped inside strings). The JSON is rebuilt on each access and, when the attributes are made,
 * checked to rebuild to exactly the text it was made from; one that does not (a lone surrogate, which UTF-8 cannot
 * hold) is held as the text itself.
 */
public final class CanonicalAttributes extends AbstractMap<String, Object> {

    /** Shapes shared at most: past them a user's shape is its own (a file whose users have many key sets). */
    static final int MAX_SHAPES = 4096;
    /** Separates the values in {@link #form}. */
    private static final char SEPARATOR = '\u0001';
    private static final ConcurrentMap<List<String>, Shape> SHAPES = new ConcurrentHashMap<>();

    /** The shape of the JSON's text around its values, or null when {@link #form} is the JSON's text. */
    private final Shape shape;
    /** The values' UTF-8 bytes, separated by {@link #SEPARATOR} (with a shape), else the JSON's String. */
    private final Object form;
    private volatile StateHash last;

    private CanonicalAttributes(String json) {
        Shape split = null;
        Object values = json;
        List<String> between = new ArrayList<>();
        StringBuilder joined = new StringBuilder(json.length());
        if (split(json, between, joined)) {
            Shape candidate = shape(between);
            byte[] bytes = joined.toString().getBytes(StandardCharsets.UTF_8);
            if (candidate.json(bytes).equals(json)) {
                split = candidate;
                values = bytes;
            }
        }
        this.shape = split;
        this.form = values;
    }

    /**
     * The text of a canonical JSON object around its values: {@code between.get(0)} before the first value,
     * {@code between.get(i)} after value {@code i} (1-based), the last one after the last value; a map without
     * entries is one piece, <code>{}</code>.
     *
     * @param length the characters of all pieces together
     */
    record Shape(List<String> between, int length) {

        /** The JSON these values (UTF-8, separated by {@link #SEPARATOR}) make with this shape. */
        String json(byte[] values) {
            String joined = new String(values, StandardCharsets.UTF_8);
            StringBuilder json = new StringBuilder(length + joined.length());
            json.append(between.get(0));
            int from = 0;
            for (int i = 1; i < between.size(); i++) {
                int to = i == between.size() - 1 ? joined.length() : joined.indexOf(SEPARATOR, from);
                if (to < 0) {
                    // fewer values than the shape has places: never equal to the JSON checked against
                    to = joined.length();
                }
                json.append(joined, from, to).append(between.get(i));
                from = Math.min(joined.length(), to + 1);
            }
            return json.toString();
        }
    }

    /** The shared shape with these pieces, or a new one of its own past {@link #MAX_SHAPES}. */
    private static Shape shape(List<String> between) {
        Shape known = SHAPES.get(between);
        if (known != null) {
            return known;
        }
        List<String> pieces = List.copyOf(between);
        Shape shape = new Shape(pieces, pieces.stream().mapToInt(String::length).sum());
        if (SHAPES.size() >= MAX_SHAPES) {
            return shape;
        }
        Shape raced = SHAPES.putIfAbsent(pieces, shape);
        return raced == null ? shape : raced;
    }

    /**
     * Splits compact JSON of one object at its top level: the text around the values into {@code between}, the values
     * into {@code values} with {@link #SEPARATOR} between them.
     *
     * @return false when the JSON is not one object or a value holds the separator (then it is held as text)
     */
    private static boolean split(String json, List<String> between, StringBuilder values) {
        if (json.isEmpty() || json.charAt(0) != '{' || json.indexOf(SEPARATOR) >= 0) {
            return false;
        }
        int depth = 0;
        boolean inString = false;
        int piece = 0;
        int value = -1;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (depth == 1 && value >= 0) {
                    values.append(json, value, i);
                    value = -1;
                    piece = i;
                }
                depth--;
            } else if (depth == 1 && c == ':') {
                between.add(json.substring(piece, i + 1));
                value = i + 1;
            } else if (depth == 1 && c == ',') {
                values.append(json, value, i).append(SEPARATOR);
                value = -1;
                piece = i;
            }
        }
        between.add(json.substring(piece));
        return true;
    }

    /**
     * The compact form of {@code attributes}.
     *
     * @param attributes values that are String, Boolean, Long, Double or List of String, none null
     */
    public static CanonicalAttributes of(Map<String, Object> attributes) {
        return attributes instanceof CanonicalAttributes canonical
                ? canonical
                : new CanonicalAttributes(Json.write(new TreeMap<>(attributes)));
    }

    /** {@code Json.write(new TreeMap<>(attributes))} of these attributes: computed once, rebuilt on each call. */
    public String json() {
        return shape == null ? (String) form : shape.json((byte[]) form);
    }

    /** Whether the JSON is held without its keys (tests). */
    boolean compact() {
        return shape != null;
    }

    /** The shape of the JSON around its values, or null (tests). */
    Shape shape() {
        return shape;
    }

    /**
     * The state hash of these attributes with {@code assignments}: the one kept when the assignments equal those of the
     * last call, else {@code compute}'s, then kept (one per user: the last). A pure function of the canonical JSON and
     * the assignments, so keeping it can never hide a change.
     */
    public String stateHash(List<Assignment> assignments, java.util.function.Supplier<String> compute) {
        StateHash known = last;
        if (known != null && known.assignments().equals(assignments)) {
            return known.hash();
        }
        String hash = compute.get();
        last = new StateHash(List.copyOf(assignments), hash);
        return hash;
    }

    private record StateHash(List<Assignment> assignments, String hash) {
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return Collections.unmodifiableMap(parse()).entrySet();
    }

    /** Equal to another map with the same entries; to other canonical attributes when their JSON is the same. */
    @Override
    public boolean equals(Object other) {
        return other instanceof CanonicalAttributes canonical
                ? json().equals(canonical.json())
                : super.equals(other);
    }

    @Override
    public int hashCode() {
        return super.hashCode();
    }

    /** One attribute, found by scanning the canonical JSON (sorted keys: the scan stops past where it would be). */
    @Override
    public Object get(Object key) {
        if (!(key instanceof String name)) {
            return null;
        }
        try (JsonParser parser = Json.mapper().getFactory().createParser(json())) {
            parser.nextToken();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                int order = parser.currentName().compareTo(name);
                parser.nextToken();
                if (order == 0) {
                    return value(Json.mapper().readTree(parser));
                }
                if (order > 0) {
                    return null;
                }
                parser.skipChildren();
            }
            return null;
        } catch (IOException e) {
            throw new IllegalStateException("canonical attributes that are not JSON", e);
        }
    }

    @Override
    public boolean containsKey(Object key) {
        return get(key) != null;
    }

    private Map<String, Object> parse() {
        try {
            JsonNode node = Json.mapper().readTree(json());
            Map<String, Object> attributes = new TreeMap<>();
            node.fields().forEachRemaining(f -> attributes.put(f.getKey(), value(f.getValue())));
            return attributes;
        } catch (IOException e) {
            throw new IllegalStateException("canonical attributes that are not JSON", e);
        }
    }

    /**
     * An attribute as the mapping engine takes it (the schema allows nothing else): null for JSON null, else Boolean,
     * Long, Double, List of String (each item's text), or the text.
     */
    static Object value(JsonNode node) {
        if (node.isNull()) {
            return null;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            return node.longValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isArray()) {
            List<String> values = new ArrayList<>();
            node.forEach(v -> values.add(v.asText()));
            return values;
        }
        return node.asText();
    }
}
