package dev.provisioning.detector.source.graph;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/** Graph's JSON values as the plain Java values a {@code Directory} holds (the directory file's types). */
final class GraphValues {

    private GraphValues() {
    }

    /** null for JSON null; strings, booleans, longs, doubles; arrays as lists; objects as maps. */
    static Object value(JsonNode node) {
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
            return node.textValue();
        }
        if (node.isArray()) {
            List<Object> values = new ArrayList<>();
            node.forEach(v -> {
                Object value = value(v);
                if (value != null) {
                    values.add(value);
                }
            });
            return values;
        }
        Map<String, Object> map = new LinkedHashMap<>();
        node.fields().forEachRemaining(f -> {
            Object value = value(f.getValue());
            if (value != null) {
                map.put(f.getKey(), value);
            }
        });
        return map;
    }
}
