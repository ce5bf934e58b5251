package dev.provisioning.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.events.Assignment;
import dev.provisioning.events.Json;

/**
 * What Entra would do with a directory file, worked out independently of the system under test from the rules in
 * BEHAVIOUR.md: direct assignments plus direct members of assigned groups; Default Access alone is not an entitlement;
 * disabled users are never created; a user without mail fails with MandatoryFieldsMissing. Assigned groups are created
 * with their members that are created (a group assigned only with Default Access is not).
 *
 * @param created the userPrincipalNames of the users Druva ends up with
 * @param failedWithoutMail those of the users who fail with MandatoryFieldsMissing
 * @param skipped those of the users who are skipped (Default Access only, disabled)
 * @param notEntitled those of the skipped users whose only assignment is Default Access
 * @param disabled those of the skipped users who are entitled but disabled
 * @param groups the groups Druva ends up with: displayName to the userPrincipalNames of their members in Druva
 * @param skippedGroups the displayNames of assigned groups that are not provisioned (Default Access only)
 */
record DemoDirectoryExpectations(Set<String> created, Set<String> failedWithoutMail, Set<String> skipped,
        Set<String> notEntitled, Set<String> disabled, Map<String, String> displayNames,
        Map<String, Set<String>> groups, Set<String> skippedGroups) {

    static DemoDirectoryExpectations of(Path file) throws IOException {
        JsonNode root = Json.mapper().readTree(file.toFile());
        Map<String, Set<String>> roles = new HashMap<>();
        Map<String, JsonNode> groups = new HashMap<>();
        Map<String, Set<String>> groupRoles = new HashMap<>();
        root.path("groups").forEach(g -> groups.put(g.path("id").asText(), g));
        for (JsonNode a : root.path("assignments")) {
            String role = a.path("appRoleId").asText();
            if (a.path("principalType").asText().equals("User")) {
                roles.computeIfAbsent(a.path("principalId").asText(), k -> new HashSet<>()).add(role);
            } else {
                groupRoles.computeIfAbsent(a.path("principalId").asText(), k -> new HashSet<>()).add(role);
                groups.get(a.path("principalId").asText()).path("members")
                        .forEach(m -> roles.computeIfAbsent(m.asText(), k -> new HashSet<>()).add(role));
            }
        }
        Set<String> created = new HashSet<>();
        Set<String> failed = new HashSet<>();
        Set<String> skipped = new HashSet<>();
        Set<String> notEntitled = new HashSet<>();
        Set<String> disabled = new HashSet<>();
        Map<String, String> names = new HashMap<>();
        Map<String, String> upns = new HashMap<>();
        for (JsonNode u : root.path("users")) {
            String id = u.path("id").asText();
            upns.put(id, u.path("userPrincipalName").asText());
            Set<String> userRoles = roles.get(id);
            if (userRoles == null) {
                continue; // never sent: not assigned
            }
            names.put(u.path("userPrincipalName").asText(), u.path("displayName").asText());
            boolean entitled = userRoles.stream().anyMatch(r -> !r.equals(Assignment.DEFAULT_ACCESS));
            if (!entitled || !u.path("accountEnabled").asBoolean(true)) {
                skipped.add(u.path("userPrincipalName").asText());
                (entitled ? disabled : notEntitled).add(u.path("userPrincipalName").asText());
            } else if (u.path("mail").isMissingNode()) {
                failed.add(u.path("userPrincipalName").asText());
            } else {
                created.add(u.path("userPrincipalName").asText());
            }
        }
        Map<String, Set<String>> createdGroups = new HashMap<>();
        Set<String> skippedGroups = new HashSet<>();
        groupRoles.forEach((id, assigned) -> {
            JsonNode group = groups.get(id);
            String name = group.path("displayName").asText();
            if (assigned.stream().allMatch(Assignment.DEFAULT_ACCESS::equals)) {
                skippedGroups.add(name);
                return;
            }
            Set<String> members = new HashSet<>();
            group.path("members").forEach(m -> {
                String upn = upns.get(m.asText());
                if (created.contains(upn)) {
                    members.add(upn);
                }
            });
            createdGroups.put(name, members);
        });
        return new DemoDirectoryExpectations(created, failed, skipped, notEntitled, disabled, names, createdGroups,
                skippedGroups);
    }

    /** Objects the first cycle sends: the assigned users and the assigned groups. */
    int objects() {
        return created.size() + failedWithoutMail.size() + skipped.size() + groups.size() + skippedGroups.size();
    }

    /** The first cycle's "created": users and groups. */
    int createdObjects() {
        return created.size() + groups.size();
    }

    /** The first cycle's "skipped": users and groups. */
    int skippedObjects() {
        return skipped.size() + skippedGroups.size();
    }
}
