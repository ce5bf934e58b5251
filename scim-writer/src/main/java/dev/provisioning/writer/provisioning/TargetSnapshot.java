package dev.provisioning.writer.provisioning;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.events.Json;
import dev.provisioning.writer.scim.ScimPaths;

/**
 * The users a tenant held when a job's initial cycle began, paged once with {@code GET /Users?startIndex=&count=},
 * indexed by {@code userName} (case-insensitive, as Druva compares it) and {@code externalId}, so that users are
 * matched without one GET each. Users the writer creates are added. Thread-safe.
 *
 * <p>
 * Each user is kept as its compact JSON text (one string shared by both indexes), not as a Jackson tree: a tree costs
 * several times the text's memory, and the snapshot of a 100,000-user tenant lives for {@code writer.bulk-match.ttl}.
 * A hit is parsed again; hits are rare (users that exist already, duplicate names), lookups of new users miss.
 */
public final class TargetSnapshot {

    private final Map<String, List<String>> byUserName = new HashMap<>();
    private final Map<String, List<String>> byExternalId = new HashMap<>();

    /** Adds a user (a SCIM User resource as Druva returned it). */
    public void add(JsonNode resource) {
        add(resource, null);
    }

    /**
     * Adds a user whose JSON text is at hand (the body of Druva's answer to a create, parsed into {@code resource}):
     * the text is kept as it is rather than written again from the tree (issue 13, W4: once per created user).
     *
     * @param json {@code resource} as JSON text; null: written from {@code resource}
     */
    public void add(JsonNode resource, String json) {
        String userName = resource.path("userName").asText(null);
        String externalId = resource.path("externalId").asText(null);
        if (userName == null && externalId == null) {
            return;
        }
        String text = json == null ? compact(resource) : json;
        synchronized (this) {
            if (userName != null) {
                byUserName.computeIfAbsent(userName.toLowerCase(Locale.ROOT), k -> new ArrayList<>(1)).add(text);
            }
            if (externalId != null) {
                byExternalId.computeIfAbsent(externalId, k -> new ArrayList<>(1)).add(text);
            }
        }
    }

    /**
     * The users whose attribute equals the value, parsed from their stored text.
     *
     * @return null when the snapshot cannot answer for that attribute (match with a GET instead)
     */
    public List<JsonNode> find(String attribute, String value) {
        List<String> hits;
        synchronized (this) {
            List<String> found;
            if (ScimPaths.USER_NAME.equals(attribute)) {
                found = byUserName.get(value.toLowerCase(Locale.ROOT));
            } else if (ScimPaths.EXTERNAL_ID.equals(attribute)) {
                found = byExternalId.get(value);
            } else {
                return null;
            }
            if (found == null) {
                // the common case (a new user): nothing copied or parsed
                return List.of();
            }
            hits = List.copyOf(found);
        }
        return hits.stream().map(TargetSnapshot::parse).toList();
    }

    /** How many users with a userName it holds. */
    public synchronized int size() {
        return byUserName.values().stream().mapToInt(List::size).sum();
    }

    private static String compact(JsonNode resource) {
        try {
            return Json.mapper().writeValueAsString(resource);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("a Druva user cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static JsonNode parse(String json) {
        try {
            return Json.mapper().readTree(json);
        } catch (JsonProcessingException e) {
            // the text was written by compact() from a tree: it always parses
            throw new IllegalStateException("a stored Druva user cannot be read: " + e.getOriginalMessage(), e);
        }
    }
}
