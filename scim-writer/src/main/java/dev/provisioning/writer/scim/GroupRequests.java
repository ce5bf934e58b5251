package dev.provisioning.writer.scim;

import java.util.List;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.provisioning.events.Json;
import dev.provisioning.events.job.PatchDialect;

/**
 * The Druva group requests, shaped as Entra sends them (BEHAVIOUR.md section 4): create without members, members
 * added and removed with PATCH (several per request), rename with {@code Replace displayName}. Plain Java.
 */
public final class GroupRequests {

    public static final String GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
    public static final String GROUPS = "/Groups";

    private GroupRequests() {
    }

    /** The path of one group: {@code /Groups/{id}}. */
    public static String group(String id) {
        return GROUPS + "/" + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** {@code GET /Groups?filter=displayName eq "X"}, members left out. */
    public static String matchUri(String attribute, String value) {
        return GROUPS + "?filter="
                + java.net.URLEncoder.encode(UserRequests.filter(attribute, value),
                        java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20")
                + "&excludedAttributes=members";
    }

    /** The body of {@code POST /Groups}: schemas, displayName, externalId (when known), no members, no nulls. */
    public static String createBody(String displayName, String externalId) {
        ObjectNode body = Json.mapper().createObjectNode();
        body.putArray("schemas").add(GROUP_SCHEMA);
        body.put("displayName", displayName);
        if (externalId != null) {
            body.put("externalId", externalId);
        }
        return Json.write(body);
    }

    /** A PATCH that adds ({@code "Add"}) or removes ({@code "Remove"}) these members (Druva user ids). */
    public static String membersBody(String op, List<String> userIds, PatchDialect dialect) {
        PatchStyle style = PatchStyle.of(dialect);
        ObjectNode body = Json.mapper().createObjectNode();
        body.putArray("schemas").add(ScimPaths.PATCH_SCHEMA);
        ObjectNode operation = body.putArray("Operations").addObject();
        operation.put("op", style.op(op));
        operation.put("path", "members");
        ArrayNode values = operation.putArray("value");
        userIds.forEach(id -> values.addObject().put("value", id));
        return Json.write(body);
    }

    /** A PATCH that renames the group. */
    public static String renameBody(String displayName, PatchDialect dialect) {
        PatchStyle style = PatchStyle.of(dialect);
        ObjectNode body = Json.mapper().createObjectNode();
        body.putArray("schemas").add(ScimPaths.PATCH_SCHEMA);
        ObjectNode operation = body.putArray("Operations").addObject();
        operation.put("op", style.op("Replace"));
        operation.put("path", "displayName");
        operation.put("value", displayName);
        return Json.write(body);
    }
}
