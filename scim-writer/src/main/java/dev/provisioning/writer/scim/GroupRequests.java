package dev.provisioning.writer.scim;

import java.util.List;

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

    /** A PATCH that adds these members (Druva user ids), in the job's dialect ({@link PatchStyle#memberAdditions}). */
    public static String addMembersBody(List<String> userIds, PatchDialect dialect) {
        return UserRequests.patchOp(PatchStyle.of(dialect).memberAdditions(userIds));
    }

    /** A PATCH that removes these members, in the job's dialect ({@link PatchStyle#memberRemovals}). */
    public static String removeMembersBody(List<String> userIds, PatchDialect dialect) {
        return UserRequests.patchOp(PatchStyle.of(dialect).memberRemovals(userIds));
    }

    /** A PATCH that renames the group: a replace of {@code displayName}, with its path, in the job's dialect. */
    public static String renameBody(String displayName, PatchDialect dialect) {
        PatchStyle style = PatchStyle.of(dialect);
        ObjectNode operation = Json.mapper().createObjectNode();
        operation.put("op", style.op("Replace"));
        operation.put("path", "displayName");
        operation.put("value", displayName);
        return UserRequests.patchOp(List.of(operation));
    }
}
