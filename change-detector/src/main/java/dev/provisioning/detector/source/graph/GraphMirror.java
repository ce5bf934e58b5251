package dev.provisioning.detector.source.graph;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.detector.source.Directory;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.StorableText;

/**
 * What the delta queries have told a job about the tenant's users and groups: the last state of every user (with Graph
 * attribute names) and of every group (name and direct user members). Delta items are applied as Graph documents them,
 * idempotently, since Graph replays changes: an item merges into the known state (a null clears an attribute), a user
 * {@code @removed} with reason {@code changed} (recycle bin) is kept with {@code deletedDateTime} set, one with reason
 * {@code deleted} is dropped, and {@code members@delta} adds or (with {@code @removed}) removes members. A NUL
 * character (U+0000) in a string is replaced as it is applied ({@link StorableText#NUL_REPLACEMENT}), so that the
 * mirror, the snapshot and the events all hold the same storable value, and reported as a
 * {@link Directory.Problem.Kind#ValueReplaced} naming the object and the attribute.
 *
 * <p>
 * The mirror remembers which objects changed since it was loaded, so that only those are written back. Plain Java: no
 * I/O.
 */
final class GraphMirror {

    /** A group as mirrored: its name and its direct members that are users. */
    record Group(String displayName, Set<String> members) {
    }

    private final Map<String, Map<String, Object>> users;
    private final Map<String, Group> groups;
    private final Set<String> changedUsers = new HashSet<>();
    private final Set<String> removedUsers = new HashSet<>();
    private final Set<String> changedGroups = new HashSet<>();
    private final Set<String> removedGroups = new HashSet<>();
    private final Set<String> lookupsPending = new LinkedHashSet<>();
    /** The replacements of this read, by object type, id and attribute (a replayed item is reported once). */
    private final Map<String, Directory.Problem> userProblems = new LinkedHashMap<>();
    private final Map<String, Directory.Problem> groupProblems = new LinkedHashMap<>();
    private boolean usersReset;
    private boolean groupsReset;

    /** The stored mark of a user whose fate a full synchronization could not settle (see {@link #lookupFailed}). */
    static final String LOOKUP_PENDING = "@lookupPending";

    GraphMirror(Map<String, Map<String, Object>> users, Map<String, Group> groups) {
        this.users = new LinkedHashMap<>();
        users.forEach((id, attributes) -> {
            Map<String, Object> user = new LinkedHashMap<>(attributes);
            if (user.remove(LOOKUP_PENDING) != null) {
                lookupsPending.add(id);
            }
            this.users.put(id, user);
        });
        this.groups = new LinkedHashMap<>(groups);
    }

    static GraphMirror empty() {
        return new GraphMirror(Map.of(), Map.of());
    }

    /** Forgets every user: a full synchronization of users follows. */
    void resetUsers() {
        users.clear();
        lookupsPending.clear();
        changedUsers.clear();
        removedUsers.clear();
        userProblems.clear();
        usersReset = true;
    }

    /** Forgets every group: a full synchronization of groups follows. */
    void resetGroups() {
        groups.clear();
        changedGroups.clear();
        removedGroups.clear();
        groupProblems.clear();
        groupsReset = true;
    }

    /** Applies one item of a users delta page. */
    void applyUser(JsonNode item, Instant now) {
        String id = item.path("id").asText(null);
        if (id == null || id.isEmpty()) {
            return;
        }
        // the delta says what became of it: no lookup needed any more
        lookupsPending.remove(id);
        JsonNode removed = item.get("@removed");
        if (removed != null) {
            if ("changed".equals(removed.path("reason").asText())) {
                // in the recycle bin: still known, and restorable; the planner sees a soft delete
                Map<String, Object> user = users.get(id);
                if (user != null && user.get("deletedDateTime") == null) {
                    user.put("deletedDateTime", now.toString());
                    changed(id, true);
                }
            } else if (users.remove(id) != null || !usersReset) {
                changed(id, false);
            }
            return;
        }
        Map<String, Object> user = users.computeIfAbsent(id, k -> new LinkedHashMap<>());
        user.put("id", id);
        // a user that comes back is restored
        user.remove("deletedDateTime");
        item.fields().forEachRemaining(field -> {
            String name = field.getKey();
            if (name.equals("id") || name.startsWith("@") || name.contains("@")) {
                return;
            }
            Object value = GraphValues.value(field.getValue(),
                    () -> replaced(userProblems, ObjectType.USER, id, name));
            if (value == null) {
                user.remove(name);
            } else {
                user.put(name, value);
            }
        });
        changed(id, true);
    }

    /** Keeps a user that a full synchronization no longer lists but that is in the recycle bin. */
    void keepSoftDeleted(String id, Map<String, Object> attributes, String deletedDateTime) {
        Map<String, Object> user = new LinkedHashMap<>(attributes);
        user.putIfAbsent("deletedDateTime", deletedDateTime);
        users.put(id, user);
        lookupsPending.remove(id);
        changed(id, true);
    }

    /** A user that a full synchronization no longer lists and that is not in the recycle bin: gone for good. */
    void forgetUser(String id) {
        lookupsPending.remove(id);
        if (users.remove(id) != null || !usersReset) {
            changed(id, false);
        }
    }

    /**
     * A user that a full synchronization no longer lists, whose recycle-bin lookup failed: it stays as it was known
     * (so nothing happens to it in Druva), marked, and is looked up again by the next read. One object's unanswered
     * lookup never fails the read.
     */
    void lookupFailed(String id, Map<String, Object> attributes) {
        users.put(id, new LinkedHashMap<>(attributes));
        lookupsPending.add(id);
        changed(id, true);
    }

    /** Users whose fate is still to be looked up (an earlier lookup failed and no delta has told since). */
    Set<String> lookupsPending() {
        return Set.copyOf(lookupsPending);
    }

    /** A user's attributes as stored: with the lookup mark when its lookup is pending. */
    Map<String, Object> stored(String id) {
        Map<String, Object> user = users.get(id);
        if (!lookupsPending.contains(id)) {
            return user;
        }
        Map<String, Object> marked = new LinkedHashMap<>(user);
        marked.put(LOOKUP_PENDING, true);
        return marked;
    }

    /** Applies one item of a groups delta page (the same group may come in several items). */
    void applyGroup(JsonNode item) {
        String id = item.path("id").asText(null);
        if (id == null || id.isEmpty()) {
            return;
        }
        if (item.has("@removed")) {
            if (groups.remove(id) != null || !groupsReset) {
                changedGroups.remove(id);
                removedGroups.add(id);
            }
            return;
        }
        Group known = groups.get(id);
        String name = item.has("displayName")
                ? item.get("displayName").isNull()
                        ? null
                        : GraphValues.text(item.get("displayName").asText(),
                                () -> replaced(groupProblems, ObjectType.GROUP, id, "displayName"))
                : known == null ? null : known.displayName();
        Set<String> members = new LinkedHashSet<>(known == null ? Set.of() : known.members());
        for (JsonNode member : item.path("members@delta")) {
            String type = member.path("@odata.type").asText("#microsoft.graph.user");
            String memberId = member.path("id").asText(null);
            if (memberId == null || !type.equals("#microsoft.graph.user")) {
                // Entra provisions direct user members only: nested groups, devices and contacts are not followed
                continue;
            }
            if (member.has("@removed")) {
                members.remove(memberId);
            } else {
                members.add(memberId);
            }
        }
        groups.put(id, new Group(name, members));
        removedGroups.remove(id);
        changedGroups.add(id);
    }

    /**
     * The complete directory for the planner: every mirrored user and group, and those of the app's assignments whose
     * principal is known (Graph keeps assignments of deleted principals for a while; they reach nobody).
     */
    Directory toDirectory(List<Directory.SourceAssignment> assignments, Map<String, Directory.AppRole> appRoles,
            List<Directory.Problem> problems) {
        List<Directory.SourceUser> sourceUsers = new ArrayList<>(users.size());
        users.forEach((id, attributes) -> sourceUsers.add(new Directory.SourceUser(id, Map.copyOf(attributes))));
        List<Directory.SourceGroup> sourceGroups = new ArrayList<>(groups.size());
        groups.forEach((id, group) -> sourceGroups
                .add(new Directory.SourceGroup(id, group.displayName(), List.copyOf(group.members()))));
        List<Directory.SourceAssignment> known = assignments.stream()
                .filter(a -> a.principalType() == Directory.PrincipalType.User
                        ? users.containsKey(a.principalId())
                        : groups.containsKey(a.principalId()))
                .toList();
        return new Directory(sourceUsers, sourceGroups, known, appRoles, problems);
    }

    private static void replaced(Map<String, Directory.Problem> problems, ObjectType type, String id,
            String attribute) {
        problems.computeIfAbsent(id + "/" + attribute, k -> Directory.Problem.valueReplaced(type, id,
                type.name().toLowerCase(Locale.ROOT) + " " + id, "Microsoft Graph's", attribute));
    }

    /**
     * The values this read replaced (see {@link StorableText#NUL_REPLACEMENT}), one problem per object and attribute:
     * users first, then groups.
     */
    List<Directory.Problem> problems() {
        List<Directory.Problem> problems = new ArrayList<>(userProblems.values());
        problems.addAll(groupProblems.values());
        return problems;
    }

    private void changed(String id, boolean present) {
        if (present) {
            removedUsers.remove(id);
            changedUsers.add(id);
        } else {
            changedUsers.remove(id);
            removedUsers.add(id);
        }
    }

    Map<String, Map<String, Object>> users() {
        return users;
    }

    Map<String, Group> groups() {
        return groups;
    }

    Set<String> changedUsers() {
        return changedUsers;
    }

    Set<String> removedUsers() {
        return removedUsers;
    }

    Set<String> changedGroups() {
        return changedGroups;
    }

    Set<String> removedGroups() {
        return removedGroups;
    }

    boolean usersReset() {
        return usersReset;
    }

    boolean groupsReset() {
        return groupsReset;
    }
}
