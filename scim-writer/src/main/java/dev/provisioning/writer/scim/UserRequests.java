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
        return attribute + " eq \"" + escape(value) + "\"";
    }

    /** A value for a SCIM filter's string literal: {@code "} and {@code \} escaped (RFC 7644 section 3.4.2.2). */
    public static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** The relative URI of a match: {@code /Users?filter=userName%20eq%20%22x%22}. */
    public static String matchUri(String attribute, String value) {
        return ScimPaths.USERS + "?filter="
                + URLEncoder.encode(filter(attribute, value), StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * The body of {@code POST /Users}: schemas, externalId, userName, active, displayName, emails (one primary work
     * email), name (givenName, familyName, formatted), then any other plain attribute. Absent attributes are left
     * out, never sent as null; {@code active} defaults to true; {@code name.formatted}, unless mapped, is derived from
     * given and family name ({@link UserState#withDerived}).
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
        Object formatted = attributes.get(ScimPaths.FORMATTED_NAME);
        if (given != null || family != null || formatted != null) {
            ObjectNode name = body.putObject("name");
            putText(name, "givenName", given);
            putText(name, "familyName", family);
            name.put("formatted", formatted != null ? String.valueOf(formatted) : UserState.formatted(given, family));
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
     * The body of {@code PATCH /Users/{id}} for these changes, in the given order, written in the job's dialect
     * ({@link PatchStyle#userOperations}).
     */
    public static String patchBody(List<AttributeChange> changes, PatchDialect dialect) {
        return patchOp(PatchStyle.of(dialect).userOperations(changes));
    }

    /** A SCIM {@code PatchOp} message with these operations (RFC 7644 section 3.5.2). */
    static String patchOp(List<ObjectNode> operations) {
        ObjectNode body = Json.mapper().createObjectNode();
        body.putArray("schemas").add(ScimPaths.PATCH_SCHEMA);
        ArrayNode array = body.putArray("Operations");
        operations.forEach(array::add);
        return Json.write(body);
    }

    private static void putText(ObjectNode node, String field, Object value) {
        if (value != null) {
            node.put(field, String.valueOf(value));
        }
    }
}
