package dev.provisioning.graph;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The fake tenant's directory: users, groups with their direct members, and the app role assignments of the provisioned
 * app's service principal. Every change is numbered, so that a delta query can answer "what changed since change N"
 * the way Graph does. Tests drive it through the methods below; all are thread-safe.
 *
 * <p>
 * Entra's rules that matter to a provisioning client are kept: a soft-deleted user leaves its groups and its
 * assignments stop being listed (both come back on restore); a hard-deleted user or group is gone for good; delta
 * queries report soft deletes as {@code @removed: {"reason": "changed"}} and hard deletes as {@code "deleted"}.
 */
public final class GraphDirectory {

    /** The type of an assignment's principal, as Graph spells it. */
    public enum PrincipalType {
        User, Group
    }

    private enum Status {
        ACTIVE, SOFT_DELETED, HARD_DELETED
    }

    private static final class UserState {
        final String id;
        final Map<String, Object> attributes = new LinkedHashMap<>();
        /** the change number at which each attribute was last set or cleared */
        final Map<String, Long> changedAt = new HashMap<>();
        final long createdSeq;
        long changedSeq;
        Status status = Status.ACTIVE;
        Instant deletedAt;

        UserState(String id, long seq) {
            this.id = id;
            this.createdSeq = seq;
            this.changedSeq = seq;
        }
    }

    private record MemberChange(long seq, String memberId, boolean added) {
    }

    private static final class GroupState {
        final String id;
        String displayName;
        /** every membership, including those of soft-deleted users (hidden while they are deleted) */
        final Set<String> members = new LinkedHashSet<>();
        final List<MemberChange> memberChanges = new ArrayList<>();
        final long createdSeq;
        long changedSeq;
        boolean deleted;

        GroupState(String id, String displayName, long seq) {
            this.id = id;
            this.displayName = displayName;
            this.createdSeq = seq;
            this.changedSeq = seq;
        }
    }

    private record AssignmentState(String id, String principalId, PrincipalType principalType, String appRoleId,
            Instant createdDateTime) {
    }

    private final ObjectMapper mapper;
    private final Map<String, UserState> users = new LinkedHashMap<>();
    private final Map<String, GroupState> groups = new LinkedHashMap<>();
    private final Map<String, AssignmentState> assignments = new LinkedHashMap<>();
    private final Map<String, ObjectNode> appRoles = new LinkedHashMap<>();
    private long seq;

    GraphDirectory(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    // ---------------------------------------------------------------- users

    /**
     * Adds a user with Graph attributes ({@code userPrincipalName}, {@code mail}, {@code accountEnabled}, ...). Its id
     * is {@code attributes.id} when given, else a new GUID.
     *
     * @return the user's id
     * @throws IllegalArgumentException when the id is taken
     */
    public synchronized String addUser(Map<String, Object> attributes) {
        Object given = attributes.get("id");
        String id = given == null ? UUID.randomUUID().toString() : given.toString();
        if (users.containsKey(id)) {
            throw new IllegalArgumentException("user " + id + " exists");
        }
        long change = ++seq;
        UserState user = new UserState(id, change);
        attributes.forEach((name, value) -> {
            if (!name.equals("id") && value != null) {
                user.attributes.put(name, value);
                user.changedAt.put(name, change);
            }
        });
        users.put(id, user);
        return id;
    }

    /**
     * Changes some attributes of a user; a null value clears the attribute.
     *
     * @throws IllegalArgumentException when there is no such user (soft-deleted users can be changed)
     */
    public synchronized void updateUser(String id, Map<String, Object> changes) {
        UserState user = user(id);
        long change = ++seq;
        changes.forEach((name, value) -> {
            if (name.equals("id")) {
                return;
            }
            if (value == null) {
                user.attributes.remove(name);
            } else {
                user.attributes.put(name, value);
            }
            user.changedAt.put(name, change);
        });
        user.changedSeq = change;
    }

    /** Deletes a user to the recycle bin: it leaves its groups and assignments until restored. */
    public synchronized void softDeleteUser(String id) {
        UserState user = user(id);
        if (user.status != Status.ACTIVE) {
            throw new IllegalArgumentException("user " + id + " is not active");
        }
        long change = ++seq;
        user.status = Status.SOFT_DELETED;
        user.deletedAt = Instant.now();
        user.changedSeq = change;
        membershipsOf(id).forEach(g -> memberChange(g, id, false, change));
    }

    /** Restores a soft-deleted user with its memberships and assignments. */
    public synchronized void restoreUser(String id) {
        UserState user = user(id);
        if (user.status != Status.SOFT_DELETED) {
            throw new IllegalArgumentException("user " + id + " is not soft-deleted");
        }
        long change = ++seq;
        user.status = Status.ACTIVE;
        user.changedSeq = change;
        membershipsOf(id).forEach(g -> memberChange(g, id, true, change));
    }

    /** Deletes a user for good (from the directory or from the recycle bin), with its memberships and assignments. */
    public synchronized void hardDeleteUser(String id) {
        UserState user = user(id);
        long change = ++seq;
        boolean visible = user.status == Status.ACTIVE;
        user.status = Status.HARD_DELETED;
        user.changedSeq = change;
        for (GroupState g : membershipsOf(id)) {
            g.members.remove(id);
            if (visible) {
                memberChange(g, id, false, change);
            }
        }
        assignments.values().removeIf(a -> a.principalId().equals(id));
    }

    /** A user's current attributes (with {@code id}), unless it was hard-deleted. */
    public synchronized Optional<Map<String, Object>> user(String id, boolean includeSoftDeleted) {
        UserState user = users.get(id);
        if (user == null || user.status == Status.HARD_DELETED
                || user.status == Status.SOFT_DELETED && !includeSoftDeleted) {
            return Optional.empty();
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        copy.put("id", id);
        copy.putAll(user.attributes);
        return Optional.of(copy);
    }

    /** A soft-deleted user as {@code directory/deletedItems/{id}} shows it, with {@code deletedDateTime}. */
    synchronized Optional<ObjectNode> deletedUser(String id) {
        UserState user = users.get(id);
        if (user == null || user.status != Status.SOFT_DELETED) {
            return Optional.empty();
        }
        ObjectNode node = mapper.valueToTree(user.attributes);
        node.put("id", id);
        node.put("deletedDateTime", user.deletedAt.toString());
        return Optional.of(node);
    }

    /** The number of users that are neither soft- nor hard-deleted. */
    public synchronized int activeUserCount() {
        return (int) users.values().stream().filter(u -> u.status == Status.ACTIVE).count();
    }

    // ---------------------------------------------------------------- groups

    /**
     * Adds a group.
     *
     * @param id its id, or null for a new GUID
     * @return the group's id
     */
    public synchronized String addGroup(String id, String displayName) {
        String groupId = id == null ? UUID.randomUUID().toString() : id;
        if (groups.containsKey(groupId)) {
            throw new IllegalArgumentException("group " + groupId + " exists");
        }
        groups.put(groupId, new GroupState(groupId, displayName, ++seq));
        return groupId;
    }

    public synchronized void renameGroup(String id, String displayName) {
        GroupState group = group(id);
        group.displayName = displayName;
        group.changedSeq = ++seq;
    }

    /** Deletes a group for good, with its assignments. */
    public synchronized void deleteGroup(String id) {
        GroupState group = group(id);
        group.deleted = true;
        group.changedSeq = ++seq;
        assignments.values().removeIf(a -> a.principalId().equals(id));
    }

    /** Makes a user a direct member of a group (no change when it already is). */
    public synchronized void addMember(String groupId, String userId) {
        GroupState group = group(groupId);
        UserState user = user(userId);
        if (user.status == Status.HARD_DELETED) {
            throw new IllegalArgumentException("user " + userId + " is deleted");
        }
        if (group.members.add(userId) && user.status == Status.ACTIVE) {
            memberChange(group, userId, true, ++seq);
        }
    }

    public synchronized void removeMember(String groupId, String userId) {
        GroupState group = group(groupId);
        if (group.members.remove(userId) && users.get(userId).status == Status.ACTIVE) {
            memberChange(group, userId, false, ++seq);
        }
    }

    // ---------------------------------------------------------------- assignments

    /**
     * Assigns a user or a group to the app with an app role.
     *
     * @return the assignment's id
     */
    public synchronized String assign(String principalId, PrincipalType type, String appRoleId) {
        if (type == PrincipalType.User) {
            user(principalId);
        } else {
            group(principalId);
        }
        String id = UUID.randomUUID().toString();
        assignments.put(id, new AssignmentState(id, principalId, type, appRoleId, Instant.now()));
        return id;
    }

    /**
     * Defines an app role of the provisioned app (Graph {@code servicePrincipal.appRoles}), or replaces the one with
     * this id.
     *
     * @param value the role's value (nullable in Graph too)
     * @param displayName its display name
     */
    public synchronized void defineAppRole(String id, String value, String displayName) {
        ObjectNode role = mapper.createObjectNode();
        role.putArray("allowedMemberTypes").add("User");
        role.put("description", displayName);
        role.put("displayName", displayName);
        role.put("id", id);
        role.put("isEnabled", true);
        role.put("origin", "Application");
        if (value == null) {
            role.putNull("value");
        } else {
            role.put("value", value);
        }
        appRoles.put(id, role);
    }

    /** The app roles, as {@code GET /servicePrincipals/{id}?$select=appRoles} lists them. */
    synchronized List<ObjectNode> appRoles() {
        return appRoles.values().stream().map(ObjectNode::deepCopy).toList();
    }

    /** Removes every assignment of a principal. */
    public synchronized void unassign(String principalId) {
        assignments.values().removeIf(a -> a.principalId().equals(principalId));
    }

    /** Forgets everything: users, groups, assignments and the change history. */
    public synchronized void clear() {
        users.clear();
        groups.clear();
        assignments.clear();
        appRoles.clear();
    }

    // ---------------------------------------------------------------- reading, for the server

    /** The change number of the latest change: a delta token's position. */
    synchronized long position() {
        return seq;
    }

    /** The assignments Graph lists under {@code appRoleAssignedTo}: those of principals that are not deleted. */
    synchronized List<ObjectNode> assignments(String servicePrincipalId) {
        List<ObjectNode> list = new ArrayList<>();
        for (AssignmentState a : assignments.values()) {
            String name;
            if (a.principalType() == PrincipalType.User) {
                UserState u = users.get(a.principalId());
                if (u == null || u.status != Status.ACTIVE) {
                    continue;
                }
                name = Objects.toString(u.attributes.get("displayName"), null);
            } else {
                GroupState g = groups.get(a.principalId());
                if (g == null || g.deleted) {
                    continue;
                }
                name = g.displayName;
            }
            ObjectNode node = mapper.createObjectNode();
            node.put("id", a.id());
            node.put("appRoleId", a.appRoleId());
            node.put("createdDateTime", a.createdDateTime().toString());
            node.put("principalDisplayName", name);
            node.put("principalId", a.principalId());
            node.put("principalType", a.principalType().name());
            node.put("resourceId", servicePrincipalId);
            list.add(node);
        }
        return list;
    }

    /**
     * The users delta: every existing user when {@code since} is null, else the users changed after change
     * {@code since}, removed ones as {@code @removed}.
     *
     * @param select the selected attributes; empty for all
     * @param minimal {@code Prefer: return=minimal}: only the attributes changed since {@code since}
     */
    synchronized List<ObjectNode> usersDelta(Long since, Set<String> select, boolean minimal) {
        List<ObjectNode> items = new ArrayList<>();
        for (UserState user : users.values()) {
            if (since == null ? user.status != Status.ACTIVE : user.changedSeq <= since) {
                continue;
            }
            ObjectNode node = mapper.createObjectNode();
            if (user.status != Status.ACTIVE) {
                node.put("id", user.id);
                node.putObject("@removed").put("reason",
                        user.status == Status.SOFT_DELETED ? "changed" : "deleted");
                items.add(node);
                continue;
            }
            boolean onlyChanged = minimal && since != null && user.createdSeq <= since;
            Set<String> names = new LinkedHashSet<>(select.isEmpty() ? user.attributes.keySet() : select);
            for (String name : names) {
                long changed = user.changedAt.getOrDefault(name, 0L);
                if (onlyChanged && changed <= since) {
                    continue;
                }
                Object value = user.attributes.get(name);
                if (value != null) {
                    node.set(name, mapper.valueToTree(value));
                } else if (since != null && changed > since) {
                    // a cleared attribute is reported as null; one never set is left out
                    node.putNull(name);
                }
            }
            node.put("id", user.id);
            items.add(node);
        }
        return items;
    }

    /**
     * The groups delta: every existing group with all its members when {@code since} is null, else the groups whose
     * name or members changed after change {@code since}, with the membership changes in {@code members@delta}. A group
     * with more than {@code maxMembersPerItem} member changes is split into several items, as Graph does.
     */
    synchronized List<ObjectNode> groupsDelta(Long since, Set<String> select, int maxMembersPerItem) {
        boolean withName = select.isEmpty() || select.contains("displayName");
        boolean withMembers = select.isEmpty() || select.contains("members");
        List<ObjectNode> items = new ArrayList<>();
        for (GroupState group : groups.values()) {
            if (since == null ? group.deleted : group.changedSeq <= since) {
                continue;
            }
            if (group.deleted) {
                ObjectNode node = mapper.createObjectNode();
                node.put("id", group.id);
                node.putObject("@removed").put("reason", "deleted");
                items.add(node);
                continue;
            }
            List<ObjectNode> memberDeltas = new ArrayList<>();
            if (since == null || group.createdSeq > since) {
                for (String member : group.members) {
                    UserState user = users.get(member);
                    if (user != null && user.status == Status.ACTIVE) {
                        memberDeltas.add(member(member, false));
                    }
                }
            } else {
                Map<String, Boolean> net = new LinkedHashMap<>();
                for (MemberChange c : group.memberChanges) {
                    if (c.seq() > since) {
                        net.remove(c.memberId());
                        net.put(c.memberId(), c.added());
                    }
                }
                net.forEach((member, added) -> memberDeltas.add(member(member, !added)));
            }
            int chunks = withMembers
                    ? Math.max(1, (memberDeltas.size() + maxMembersPerItem - 1) / maxMembersPerItem)
                    : 1;
            for (int i = 0; i < chunks; i++) {
                ObjectNode node = mapper.createObjectNode();
                if (withName) {
                    node.put("displayName", group.displayName);
                }
                node.put("id", group.id);
                if (withMembers && !memberDeltas.isEmpty()) {
                    ArrayNode array = node.putArray("members@delta");
                    memberDeltas.subList(i * maxMembersPerItem,
                            Math.min(memberDeltas.size(), (i + 1) * maxMembersPerItem)).forEach(array::add);
                }
                items.add(node);
            }
        }
        return items;
    }

    private ObjectNode member(String id, boolean removed) {
        ObjectNode node = mapper.createObjectNode();
        node.put("@odata.type", "#microsoft.graph.user");
        node.put("id", id);
        if (removed) {
            node.putObject("@removed").put("reason", "deleted");
        }
        return node;
    }

    private void memberChange(GroupState group, String memberId, boolean added, long change) {
        group.memberChanges.add(new MemberChange(change, memberId, added));
        group.changedSeq = change;
    }

    private List<GroupState> membershipsOf(String userId) {
        return groups.values().stream().filter(g -> !g.deleted && g.members.contains(userId)).toList();
    }

    private UserState user(String id) {
        UserState user = users.get(id);
        if (user == null || user.status == Status.HARD_DELETED) {
            throw new IllegalArgumentException("no user " + id);
        }
        return user;
    }

    private GroupState group(String id) {
        GroupState group = groups.get(id);
        if (group == null || group.deleted) {
            throw new IllegalArgumentException("no group " + id);
        }
        return group;
    }
}
