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
 * disabled users are never created; a user without mail fails with MandatoryFieldsMissing.
 */
record DemoDirectoryExpectations(Set<String> created, Set<String> failedWithoutMail, Set<String> skipped,
        Map<String, String> displayNames) {

    static DemoDirectoryExpectations of(Path file) throws IOException {
        JsonNode root = Json.mapper().readTree(file.toFile());
        Map<String, Set<String>> roles = new HashMap<>();
        Map<String, JsonNode> groups = new HashMap<>();
        root.path("groups").forEach(g -> groups.put(g.path("id").asText(), g));
        for (JsonNode a : root.path("assignments")) {
            String role = a.path("appRoleId").asText();
            if (a.path("principalType").asText().equals("User")) {
                roles.computeIfAbsent(a.path("principalId").asText(), k -> new HashSet<>()).add(role);
            } else {
                groups.get(a.path("principalId").asText()).path("members")
                        .forEach(m -> roles.computeIfAbsent(m.asText(), k -> new HashSet<>()).add(role));
            }
        }
        Set<String> created = new HashSet<>();
        Set<String> failed = new HashSet<>();
        Set<String> skipped = new HashSet<>();
        Map<String, String> names = new HashMap<>();
        for (JsonNode u : root.path("users")) {
            String id = u.path("id").asText();
            Set<String> userRoles = roles.get(id);
            if (userRoles == null) {
                continue; // never sent: not assigned
            }
            names.put(u.path("userPrincipalName").asText(), u.path("displayName").asText());
            boolean entitled = userRoles.stream().anyMatch(r -> !r.equals(Assignment.DEFAULT_ACCESS));
            if (!entitled || !u.path("accountEnabled").asBoolean(true)) {
                skipped.add(u.path("userPrincipalName").asText());
            } else if (u.path("mail").isMissingNode()) {
                failed.add(u.path("userPrincipalName").asText());
            } else {
                created.add(u.path("userPrincipalName").asText());
            }
        }
        return new DemoDirectoryExpectations(created, failed, skipped, names);
    }

    int objects() {
        return created.size() + failedWithoutMail.size() + skipped.size();
    }
}
