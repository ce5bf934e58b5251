package dev.provisioning.writer.scim;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A user's attributes as a flat map of SCIM paths to values (strings, and a boolean for {@code active}): the desired
 * state from an operation, the last known state kept in the id map, and a resource read from Druva all take this
 * shape, so they can be compared.
 */
public final class UserState {

    private UserState() {
    }

    /**
     * Normalises attributes from an operation: {@code active} becomes a boolean (the mapper's Entra expressions yield
     * {@code "True"}/{@code "False"}), other scalars become strings; nulls are dropped (they are never sent).
     */
    public static Map<String, Object> normalize(Map<String, ?> attributes) {
        Map<String, Object> out = new LinkedHashMap<>();
        attributes.forEach((path, value) -> {
            if (value == null) {
                return;
            }
            if (ScimPaths.ACTIVE.equals(path)) {
                out.put(path, toBoolean(value));
            } else if (value instanceof String || value instanceof Number || value instanceof Boolean) {
                out.put(path, String.valueOf(value));
            } else {
                out.put(path, value);
            }
        });
        return out;
    }

    /**
     * The desired attributes with those the writer derives added: {@code name.formatted}, when not mapped, is
     * {@code "given family"} ({@link #formatted}) as soon as given or family name is known. Derived into the desired
     * state, it is compared like any mapped attribute on every update path (the PATCH after a diff, the update after a
     * match), so a changed given or family name also replaces the formatted name. The last known state is not derived:
     * a link stored without {@code name.formatted} (by a writer that did not keep it) does not know what Druva holds,
     * so its next update sends it once, which also repairs a formatted name left stale before. The writer derives
     * nothing else: {@code active: true} on create and the work email's {@code primary}/{@code type} are constants of
     * the request shape, not values that can go stale.
     *
     * @return a new map, in the same order, with {@code name.formatted} placed right after the names it is made of
     */
    public static Map<String, Object> withDerived(Map<String, Object> attributes) {
        if (attributes.containsKey(ScimPaths.FORMATTED_NAME)) {
            return new LinkedHashMap<>(attributes);
        }
        Object given = attributes.get(ScimPaths.GIVEN_NAME);
        Object family = attributes.get(ScimPaths.FAMILY_NAME);
        if (given == null && family == null) {
            return new LinkedHashMap<>(attributes);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        int namesLeft = (given == null ? 0 : 1) + (family == null ? 0 : 1);
        for (Map.Entry<String, Object> entry : attributes.entrySet()) {
            out.put(entry.getKey(), entry.getValue());
            if (entry.getKey().equals(ScimPaths.GIVEN_NAME) || entry.getKey().equals(ScimPaths.FAMILY_NAME)) {
                if (--namesLeft == 0) {
                    out.put(ScimPaths.FORMATTED_NAME, formatted(given, family));
                }
            }
        }
        return out;
    }

    /** {@code name.formatted} as Entra's default mapping and Druva show it: given and family name, space-separated. */
    public static String formatted(Object given, Object family) {
        return ((given == null ? "" : String.valueOf(given)) + " " + (family == null ? "" : String.valueOf(family)))
                .trim();
    }

    /** {@code true}, {@code "True"}, {@code "true"} are true; everything else is false. */
    public static boolean toBoolean(Object value) {
        if (value instanceof Boolean b) {
            return b;
        }
        return String.valueOf(value).trim().toLowerCase(Locale.ROOT).equals("true");
    }

    /** Flattens a SCIM user resource read from the target into the paths the mapper uses. */
    public static Map<String, Object> fromResource(JsonNode resource) {
        Map<String, Object> out = new LinkedHashMap<>();
        text(resource, "userName").ifPresent(v -> out.put(ScimPaths.USER_NAME, v));
        text(resource, "externalId").ifPresent(v -> out.put(ScimPaths.EXTERNAL_ID, v));
        text(resource, "displayName").ifPresent(v -> out.put(ScimPaths.DISPLAY_NAME, v));
        JsonNode active = resource.get("active");
        if (active != null && !active.isNull()) {
            out.put(ScimPaths.ACTIVE, active.isBoolean() ? active.booleanValue() : toBoolean(active.asText()));
        }
        JsonNode name = resource.get("name");
        if (name != null && name.isObject()) {
            text(name, "givenName").ifPresent(v -> out.put(ScimPaths.GIVEN_NAME, v));
            text(name, "familyName").ifPresent(v -> out.put(ScimPaths.FAMILY_NAME, v));
            text(name, "formatted").ifPresent(v -> out.put(ScimPaths.FORMATTED_NAME, v));
        }
        JsonNode emails = resource.get("emails");
        if (emails != null && emails.isArray()) {
            JsonNode chosen = null;
            for (JsonNode email : emails) {
                if ("work".equals(email.path("type").asText())) {
                    chosen = email;
                    break;
                }
                if (chosen == null || email.path("primary").asBoolean(false)) {
                    chosen = email;
                }
            }
            if (chosen != null) {
                text(chosen, "value").ifPresent(v -> out.put(ScimPaths.WORK_EMAIL, v));
            }
        }
        return out;
    }

    private static java.util.Optional<String> text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? java.util.Optional.empty() : java.util.Optional.of(value.asText());
    }
}
