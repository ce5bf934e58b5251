package dev.provisioning.detector.source;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.provisioning.events.Assignment;
import dev.provisioning.events.ObjectType;

/**
 * A complete read of the source directory: users, groups, the app role assignments of the provisioning app and its
 * app roles, and what the read found wrong with single objects.
 *
 * @param users users with their attributes by Entra name; {@code id} is the object id
 * @param groups groups with their direct members
 * @param assignments the app's role assignments (Graph's {@code appRoleAssignedTo})
 * @param appRoles the app's roles by id (Graph's {@code servicePrincipal.appRoles}, a directory file's
 *        {@code appRoles}): the assignments carry their value and display name
 * @param problems what the read found wrong with single objects: dangling references (logged as warnings) and objects
 *        the source could not settle (logged as failures, settled again by the next cycle)
 */
public record Directory(List<SourceUser> users, List<SourceGroup> groups, List<SourceAssignment> assignments,
        Map<String, AppRole> appRoles, List<Problem> problems) {

    public Directory {
        users = List.copyOf(users);
        groups = List.copyOf(groups);
        assignments = List.copyOf(assignments);
        appRoles = Map.copyOf(appRoles);
        problems = List.copyOf(problems);
    }

    /** A directory without app role definitions or problems. */
    public Directory(List<SourceUser> users, List<SourceGroup> groups, List<SourceAssignment> assignments) {
        this(users, groups, assignments, Map.of(), List.of());
    }

    /** An app role: its value (nullable, as in Graph) and display name. */
    public record AppRole(String id, String value, String displayName) {
    }

    /**
     * Something the read found wrong with one object.
     *
     * @param kind what
     * @param objectId the object the log entry is about
     * @param objectType its type
     * @param detail a sentence for the administrator
     */
    public record Problem(Kind kind, String objectId, ObjectType objectType, String detail) {

        /**
         * A {@link Kind#ValueReplaced}: {@code source}'s value of {@code attribute} of the object held a NUL character
         * ({@code StorableText}), replaced by U+FFFD.
         *
         * @param object how the detail names the object, e.g. {@code user u0 (/users/0)}
         * @param source whose value it was, e.g. {@code the directory file's}
         */
        public static Problem valueReplaced(ObjectType type, String id, String object, String source,
                String attribute) {
            return new Problem(Kind.ValueReplaced, id, type, object + ": " + source + " value of " + attribute
                    + " holds a NUL character (U+0000), which cannot be stored: it is replaced by U+FFFD and the "
                    + "object provisioned with that value");
        }

        public enum Kind {
            /** A group member or an assignment that names no object of the directory: a Warning in the log. */
            DanglingReference,
            /**
             * The source could not say what became of the object (a deleted-items lookup failed): left as it was, a
             * Failure in the log, and looked up again by the next cycle.
             */
            LookupFailed,
            /**
             * A value the source had to change to store it (Microsoft Graph: a NUL character replaced by U+FFFD): the
             * object is provisioned with the changed value, a Warning in the log.
             */
            ValueReplaced;

            /** Whether the log entry is a Warning (the object is provisioned) rather than a Failure. */
            public boolean warning() {
                return this != LookupFailed;
            }
        }
    }

    /**
     * The one instance of an object id (or app role id) that every structure the detector keeps between cycles shares:
     * the JVM's string pool ({@link String#intern}), which holds its strings weakly. At 100,000 users each id was held
     * up to five times (the user's element, its group memberships, its direct assignment, the managed objects, a loaded
     * snapshot), about 80 bytes each; now once.
     *
     * @return null when {@code id} is null
     */
    public static String sharedId(String id) {
        return id == null ? null : id.intern();
    }

    /** How many dangling references the read found. */
    public int danglingReferences() {
        return (int) problems.stream().filter(p -> p.kind() == Problem.Kind.DanglingReference).count();
    }

    /** The assignment of {@code appRoleId} as the app defines the role (its value and display name when known). */
    private Assignment assignment(String appRoleId, String viaGroupId) {
        AppRole role = appRoles.get(appRoleId);
        return role == null
                ? new Assignment(appRoleId, viaGroupId)
                : new Assignment(appRoleId, viaGroupId, role.value(), role.displayName());
    }

    /**
     * A user: its object id and attributes ({@code userPrincipalName}, {@code mail}, {@code accountEnabled}, ...). A
     * directory file's users hold them compactly ({@link CanonicalAttributes}: read-only, keys sorted); Graph's as a
     * map.
     */
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
                        .add(assignment(a.appRoleId(), null));
            } else {
                for (SourceGroup g : groupsById.getOrDefault(a.principalId(), List.of())) {
                    for (String member : g.members()) {
                        byUser.computeIfAbsent(member, k -> new LinkedHashSet<>())
                                .add(assignment(a.appRoleId(), g.id()));
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
                        .add(assignment(a.appRoleId(), null));
            }
        }
        Map<String, List<Assignment>> result = new HashMap<>();
        byGroup.forEach((group, set) -> result.put(group, List.copyOf(set)));
        return result;
    }
}
