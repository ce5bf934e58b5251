package dev.provisioning.detector.source;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.provisioning.events.Assignment;

/**
 * A complete read of the source directory: users, groups and the app role assignments of the provisioning app.
 *
 * @param users users with their attributes by Entra name; {@code id} is the object id
 * @param groups groups with their direct members
 * @param assignments the app's role assignments (Graph's {@code appRoleAssignedTo})
 */
public record Directory(List<SourceUser> users, List<SourceGroup> groups, List<SourceAssignment> assignments) {

    public Directory {
        users = List.copyOf(users);
        groups = List.copyOf(groups);
        assignments = List.copyOf(assignments);
    }

    /** A user: its object id and attributes ({@code userPrincipalName}, {@code mail}, {@code accountEnabled}, ...). */
    public record SourceUser(String id, Map<String, Object> attributes) {
    }

    /** A group: its object id, display name and the object ids of its direct members. */
    public record SourceGroup(String id, String displayName, List<String> members) {
    }

    /** An app role assignment to a user or a group. */
    public record SourceAssignment(String principalId, PrincipalType principalType, String appRoleId) {
    }

    public enum PrincipalType {
        User, Group
    }

    /**
     * The assignments that reach each user: direct ones, and those of assigned groups the user is a direct member of
     * (Entra does not follow nested groups). Users with no assignment are absent from the map.
     */
    public Map<String, List<Assignment>> assignmentsByUser() {
        Map<String, List<SourceGroup>> groupsById = new HashMap<>();
        for (SourceGroup g : groups) {
            groupsById.computeIfAbsent(g.id(), k -> new ArrayList<>()).add(g);
        }
        Map<String, Set<Assignment>> byUser = new HashMap<>();
        for (SourceAssignment a : assignments) {
            if (a.principalType() == PrincipalType.User) {
                byUser.computeIfAbsent(a.principalId(), k -> new LinkedHashSet<>())
                        .add(new Assignment(a.appRoleId(), null));
            } else {
                for (SourceGroup g : groupsById.getOrDefault(a.principalId(), List.of())) {
                    for (String member : g.members()) {
                        byUser.computeIfAbsent(member, k -> new LinkedHashSet<>())
                                .add(new Assignment(a.appRoleId(), g.id()));
                    }
                }
            }
        }
        Map<String, List<Assignment>> result = new HashMap<>();
        byUser.forEach((user, set) -> result.put(user, List.copyOf(set)));
        return result;
    }

    /** The app role assignments made to each group directly. Groups with no assignment are absent from the map. */
    public Map<String, List<Assignment>> assignmentsByGroup() {
        Map<String, Set<Assignment>> byGroup = new HashMap<>();
        for (SourceAssignment a : assignments) {
            if (a.principalType() == PrincipalType.Group) {
                byGroup.computeIfAbsent(a.principalId(), k -> new LinkedHashSet<>())
                        .add(new Assignment(a.appRoleId(), null));
            }
        }
        Map<String, List<Assignment>> result = new HashMap<>();
        byGroup.forEach((group, set) -> result.put(group, List.copyOf(set)));
        return result;
    }
}
