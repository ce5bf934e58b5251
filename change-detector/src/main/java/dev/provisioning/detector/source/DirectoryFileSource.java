package dev.provisioning.detector.source;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.events.Json;

/**
 * Reads a directory from a JSON file, re-read at every cycle:
 *
 * <pre>
 * {"users": [{"id": "...", "userPrincipalName": "...", "mail": "...", "accountEnabled": true, ...}],
 *  "groups": [{"id": "...", "displayName": "...", "members": ["userId", ...]}],
 *  "assignments": [{"principalId": "...", "principalType": "User|Group", "appRoleId": "..."}]}
 * </pre>
 *
 * User attributes keep Entra's (Graph's) names. A user with {@code deletedDateTime} set is soft-deleted; a user that
 * disappears from the file is hard-deleted.
 */
public final class DirectoryFileSource implements DirectorySource {

    private final Path file;

    public DirectoryFileSource(Path file) {
        this.file = file;
    }

    @Override
    public Directory read() {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new SourceException("directory file " + file + " does not exist");
        } catch (IOException e) {
            throw new SourceException("directory file " + file + " cannot be read: " + e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = Json.mapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new SourceException("directory file " + file + " is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null
                            ? ""
                            : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()
                                    + ")"));
        }
        if (root == null || !root.isObject()) {
            throw new SourceException(
                    "directory file " + file + " must hold a JSON object with users, groups and assignments");
        }
        List<Directory.SourceUser> users = readUsers(array(root, "users"));
        List<Directory.SourceGroup> groups = readGroups(array(root, "groups"));
        List<Directory.SourceAssignment> assignments = readAssignments(array(root, "assignments"), users, groups);
        return new Directory(users, groups, assignments);
    }

    private JsonNode array(JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return Json.mapper().createArrayNode();
        }
        if (!node.isArray()) {
            throw error(field + " must be an array");
        }
        return node;
    }

    private List<Directory.SourceUser> readUsers(JsonNode array) {
        List<Directory.SourceUser> users = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode node = array.get(i);
            String where = "users[" + i + "]";
            if (!node.isObject()) {
                throw error(where + " must be an object");
            }
            String id = text(node, "id", where);
            if (!ids.add(id)) {
                throw error(where + ": duplicate id " + id);
            }
            Map<String, Object> attributes = new LinkedHashMap<>();
            node.fields().forEachRemaining(f -> {
                Object value = value(f.getValue(), where + "." + f.getKey());
                if (value != null) {
                    attributes.put(f.getKey(), value);
                }
            });
            users.add(new Directory.SourceUser(id, attributes));
        }
        return users;
    }

    private List<Directory.SourceGroup> readGroups(JsonNode array) {
        List<Directory.SourceGroup> groups = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode node = array.get(i);
            String where = "groups[" + i + "]";
            String id = text(node, "id", where);
            JsonNode members = node.get("members");
            List<String> memberIds = new ArrayList<>();
            if (members != null && !members.isNull()) {
                if (!members.isArray()) {
                    throw error(where + ".members must be an array of user ids");
                }
                members.forEach(m -> memberIds.add(m.asText()));
            }
            JsonNode name = node.get("displayName");
            groups.add(new Directory.SourceGroup(id, name == null ? null : name.asText(), memberIds));
        }
        return groups;
    }

    private List<Directory.SourceAssignment> readAssignments(JsonNode array, List<Directory.SourceUser> users,
            List<Directory.SourceGroup> groups) {
        Set<String> userIds = new HashSet<>();
        users.forEach(u -> userIds.add(u.id()));
        Set<String> groupIds = new HashSet<>();
        groups.forEach(g -> groupIds.add(g.id()));
        List<Directory.SourceAssignment> assignments = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode node = array.get(i);
            String where = "assignments[" + i + "]";
            String principal = text(node, "principalId", where);
            String type = text(node, "principalType", where);
            String role = text(node, "appRoleId", where);
            Directory.PrincipalType principalType;
            try {
                principalType = Directory.PrincipalType.valueOf(type);
            } catch (IllegalArgumentException e) {
                throw error(where + ".principalType must be User or Group, not " + type);
            }
            boolean known = principalType == Directory.PrincipalType.User
                    ? userIds.contains(principal)
                    : groupIds.contains(principal);
            if (!known) {
                // Graph keeps assignments of deleted principals for a while; they reach nobody
                continue;
            }
            assignments.add(new Directory.SourceAssignment(principal, principalType, role));
        }
        return assignments;
    }

    private String text(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull() || value.asText().isBlank()) {
            throw error(where + ": field '" + field + "' is required");
        }
        return value.asText();
    }

    private Object value(JsonNode node, String where) {
        if (node.isNull()) {
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
            List<String> values = new ArrayList<>();
            node.forEach(v -> values.add(v.asText()));
            return values;
        }
        throw error(where + " must be a string, number, boolean or an array of strings");
    }

    private SourceException error(String what) {
        return new SourceException("directory file " + file + ": " + what);
    }
}
