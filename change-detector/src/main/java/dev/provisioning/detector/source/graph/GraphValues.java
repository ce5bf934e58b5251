package dev.provisioning.detector.source.graph;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.events.StorableText;

/** Graph's JSON values as the plain Java values a {@code Directory} holds (the directory file's types). */
final class GraphValues {

    private GraphValues() {
    }

    /**
     * null for JSON null; strings, booleans, longs, doubles; arrays as lists; objects as maps. Every U+0000 in a string
     * (or an object's key) is replaced by {@link StorableText#NUL_REPLACEMENT}: PostgreSQL cannot store it, so a NUL
     * kept would make every write of the object fail (the mirror's, and with it the deltaLinks').
     *
     * @param replaced run once for each string in which a NUL was replaced
     */
    static Object value(JsonNode node, Runnable replaced) {
        if (node == null || node.isNull() || node.isMissingNode()) {
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
        if (node.isTextual()) {
            return text(node.textValue(), replaced);
        }
        if (node.isArray()) {
            List<Object> values = new ArrayList<>();
            node.forEach(v -> {
                Object value = value(v, replaced);
                if (value != null) {
                    values.add(value);
                }
            });
            return values;
        }
        Map<String, Object> map = new LinkedHashMap<>();
        node.fields().forEachRemaining(f -> {
            Object value = value(f.getValue(), replaced);
            if (value != null) {
                map.put(text(f.getKey(), replaced), value);
            }
        });
        return map;
    }

    /**
     * {@code text} as PostgreSQL can store it ({@link StorableText#of}).
     *
     * @param replaced run when a NUL was replaced
     */
    static String text(String text, Runnable replaced) {
        if (!StorableText.hasNul(text)) {
            return text;
        }
        replaced.run();
        return StorableText.of(text);
    }
}
