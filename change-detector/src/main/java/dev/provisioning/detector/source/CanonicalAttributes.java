package dev.provisioning.detector.source;

import java.io.IOException;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.events.Assignment;
import dev.provisioning.events.Json;

/**
 * A user's attributes held compactly: only their canonical JSON ({@code Json.write(new TreeMap<>(attributes))}, keys
 * sorted), computed once when the user's element is first read. The map is read-only and parsed from that string on
 * each access, keys in sorted order, values as a directory file gives them (String, Boolean, Long, Double, List of
 * String). The canonical string is what {@code CyclePlanner}'s state hash starts with, so a user whose element did not
 * change is hashed without building its map; the last state hash computed for it is kept with it
 * ({@link #stateHash}).
 */
public final class CanonicalAttributes extends AbstractMap<String, Object> {

    private final String json;
    private volatile StateHash last;

    private CanonicalAttributes(String json) {
        this.json = json;
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

    /** {@code Json.write(new TreeMap<>(attributes))} of these attributes, computed once. */
    public String json() {
        return json;
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
        return other instanceof CanonicalAttributes canonical ? json.equals(canonical.json) : super.equals(other);
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
        try (JsonParser parser = Json.mapper().getFactory().createParser(json)) {
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
            JsonNode node = Json.mapper().readTree(json);
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
