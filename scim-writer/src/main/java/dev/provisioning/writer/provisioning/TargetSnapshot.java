package dev.provisioning.writer.provisioning;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import io.netty.util.collection.LongObjectHashMap;

import dev.provisioning.events.Json;
import dev.provisioning.writer.scim.ScimPaths;

/**
 * The users a tenant held when a job's initial cycle began, paged once with {@code GET /Users?startIndex=&count=},
 * indexed by {@code userName} (case-insensitive, as Druva compares it) and {@code externalId}, so that users are
 * matched without one GET each. Thread-safe.
 *
 * <p>
 * Each paged user is kept as its compact JSON text (one string shared by both indexes), not as a Jackson tree: a tree
 * costs several times the text's memory, and the snapshot of a 100,000-user tenant lives for
 * {@code writer.bulk-match.ttl}. A hit is parsed again; hits are rare (users that exist already, duplicate names),
 * lookups of new users miss.
 *
 * <p>
 * Users the writer creates while the snapshot lives are {@link #created marked}, not kept: only a 64-bit hash of each
 * matching value, so that a later source object with the same userName or externalId is matched with a GET, as Entra
 * matches every user, and is never created twice. Keeping Druva's whole answer for each created user made the
 * snapshot grow with the initial cycle (about 1.4 KiB per user: 149 MiB of the writer's live heap after 90,000 users
 * in issue 13's 100,000-user run). The marks are kept in a primitive {@code long} hash table (Netty's
 * {@link LongObjectHashMap}, every value the same marker, up to three quarters full): 16 to 32 bytes per value in two
 * arrays for the collector to trace. A {@code HashSet<Long>} cost about 56 bytes and two objects per value: at the end
 * of a 100,000-user initial cycle (200,000 values) about 11 MiB of live heap and 400,000 objects that every full
 * collection traced. Two values with the same hash cost a GET, never a wrong match.
 */
public final class TargetSnapshot {

    private final Map<String, List<String>> byUserName = new HashMap<>();
    private final Map<String, List<String>> byExternalId = new HashMap<>();
    /** {@link #mark} of each userName and externalId of a user created since the snapshot was paged (keys only). */
    private final LongObjectHashMap<Boolean> created = new LongObjectHashMap<>(1024, 0.75f);

    /** Adds a user (a SCIM User resource as Druva returned it to a page of {@code GET /Users}). */
    public void add(JsonNode resource) {
        String userName = resource.path("userName").asText(null);
        String externalId = resource.path("externalId").asText(null);
        if (userName == null && externalId == null) {
            return;
        }
        String text = compact(resource);
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
     * Marks a user the writer created (Druva's answer to {@code POST /Users}): a later lookup of its userName or
     * externalId is not answered from the snapshot ({@link #find} returns null), so it is matched with a GET.
     */
    public void created(JsonNode resource) {
        String userName = resource.path("userName").asText(null);
        String externalId = resource.path("externalId").asText(null);
        synchronized (this) {
            if (userName != null) {
                created.put(mark(ScimPaths.USER_NAME, userName.toLowerCase(Locale.ROOT)), Boolean.TRUE);
            }
            if (externalId != null) {
                created.put(mark(ScimPaths.EXTERNAL_ID, externalId), Boolean.TRUE);
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
            String key;
            if (ScimPaths.USER_NAME.equals(attribute)) {
                key = value.toLowerCase(Locale.ROOT);
                found = byUserName.get(key);
            } else if (ScimPaths.EXTERNAL_ID.equals(attribute)) {
                key = value;
                found = byExternalId.get(key);
            } else {
                return null;
            }
            if (!created.isEmpty() && created.containsKey(mark(attribute, key))) {
                // created since the snapshot was paged: Druva holds it now, a GET tells in what state
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

    /** A 64-bit FNV-1a hash of the attribute's name and value (UTF-16 code units). */
    private static long mark(String attribute, String value) {
        long hash = 0xcbf29ce484222325L;
        String key = attribute + '\u0000' + value;
        for (int i = 0; i < key.length(); i++) {
            hash = (hash ^ key.charAt(i)) * 0x100000001b3L;
        }
        return hash;
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
