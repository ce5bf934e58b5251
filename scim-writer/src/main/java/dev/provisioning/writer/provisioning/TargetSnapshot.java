package dev.provisioning.writer.provisioning;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.writer.scim.ScimPaths;

/**
 * The users a tenant held when a job's initial cycle began, paged once with {@code GET /Users?startIndex=&count=},
 * indexed by {@code userName} (case-insensitive, as Druva compares it) and {@code externalId}, so that users are
 * matched without one GET each. Users the writer creates are added. Thread-safe.
 */
public final class TargetSnapshot {

    private final Map<String, List<JsonNode>> byUserName = new HashMap<>();
    private final Map<String, List<JsonNode>> byExternalId = new HashMap<>();

    public synchronized void add(JsonNode resource) {
        String userName = resource.path("userName").asText(null);
        if (userName != null) {
            byUserName.computeIfAbsent(userName.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(resource);
        }
        String externalId = resource.path("externalId").asText(null);
        if (externalId != null) {
            byExternalId.computeIfAbsent(externalId, k -> new ArrayList<>()).add(resource);
        }
    }

    /**
     * The users whose attribute equals the value.
     *
     * @return null when the snapshot cannot answer for that attribute (match with a GET instead)
     */
    public synchronized List<JsonNode> find(String attribute, String value) {
        if (ScimPaths.USER_NAME.equals(attribute)) {
            return List.copyOf(byUserName.getOrDefault(value.toLowerCase(Locale.ROOT), List.of()));
        }
        if (ScimPaths.EXTERNAL_ID.equals(attribute)) {
            return List.copyOf(byExternalId.getOrDefault(value, List.of()));
        }
        return null;
    }

    public synchronized int size() {
        return byUserName.values().stream().mapToInt(List::size).sum();
    }
}
