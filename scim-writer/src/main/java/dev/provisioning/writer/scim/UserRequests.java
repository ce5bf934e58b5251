package dev.provisioning.writer.scim;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.provisioning.events.Json;
import dev.provisioning.events.job.PatchDialect;

/**
 * The Druva user requests, shaped exactly as Entra sends them (BEHAVIOUR.md section 4): the match query, the create
 * body and the PATCH body. Plain Java; the HTTP client only sends what this class builds.
 */
public final class UserRequests {

    private UserRequests() {
    }

    /** A SCIM filter {@code attr eq "value"}, with {@code "} and {@code \} escaped in the value. */
    public static String filter(String attribute, String value) {
        String escaped = value.replace("\\", "\\\\").replace("\"", "\\\"");
        return attribute + " eq \"" + escaped + "\"";
    }

    /** The relative URI of a match: {@code /Users?filter=userName%20eq%20%22x%22}. */
    public static String matchUri(String attribute, String value) {
        return ScimPaths.USERS + "?filter="
                + URLEncoder.encode(filter(attribute, value), StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * The body of {@code POST /Users}: schemas, externalId, userName, active, displayName, emails (one primary work
     * email), name (givenName, familyName, formatted), then any other plain attribute. Absent attributes are left
     * out, never sent as null; {@code active} defaults to true.
     *
     * @param attributes the normalised attributes to create the user with (operation attributes plus create-only)
     */
    public static String createBody(Map<String, Object> attributes) {
        ObjectNode body = Json.mapper().createObjectNode();
        body.putArray("schemas").add(ScimPaths.USER_SCHEMA);
        putText(body, "externalId", attributes.get(ScimPaths.EXTERNAL_ID));
        putText(body, "userName", attributes.get(ScimPaths.USER_NAME));
        Object active = attributes.get(ScimPaths.ACTIVE);
        body.put("active", active == null || UserState.toBoolean(active));
        putText(body, "displayName", attributes.get(ScimPaths.DISPLAY_NAME));
        Object email = attributes.get(ScimPaths.WORK_EMAIL);
        if (email != null) {
            ObjectNode work = body.putArray("emails").addObject();
            work.put("primary", true);
            work.put("type", "work");
            work.put("value", String.valueOf(email));
        }
        Object given = attributes.get(ScimPaths.GIVEN_NAME);
        Object family = attributes.get(ScimPaths.FAMILY_NAME);
        if (given != null || family != null) {
            ObjectNode name = body.putObject("name");
            putText(name, "givenName", given);
            putText(name, "familyName", family);
            String formatted = ((given == null ? "" : given) + " " + (family == null ? "" : family)).trim();
            name.put("formatted", formatted);
        }
        attributes.forEach((path, value) -> {
            boolean plain = path.chars().allMatch(Character::isLetterOrDigit);
            if (plain && !body.has(path) && value != null) {
                if (value instanceof Boolean b) {
                    body.put(path, b);
                } else {
                    body.put(path, String.valueOf(value));
                }
            }
        });
        return Json.write(body);
    }

    /**
     * The body of {@code PATCH /Users/{id}}: one {@code Replace} per change, in the given order, written in the job's
     * dialect.
     */
    public static String patchBody(List<AttributeChange> changes, PatchDialect dialect) {
        PatchStyle style = PatchStyle.of(dialect);
        ObjectNode body = Json.mapper().createObjectNode();
        body.putArray("schemas").add(ScimPaths.PATCH_SCHEMA);
        ArrayNode operations = body.putArray("Operations");
        for (AttributeChange change : changes) {
            ObjectNode op = operations.addObject();
            op.put("op", style.op("Replace"));
            op.put("path", change.path());
            op.set("value", Json.mapper().valueToTree(style.value(change.newValue())));
        }
        return Json.write(body);
    }

    private static void putText(ObjectNode node, String field, Object value) {
        if (value != null) {
            node.put(field, String.valueOf(value));
        }
    }
}
