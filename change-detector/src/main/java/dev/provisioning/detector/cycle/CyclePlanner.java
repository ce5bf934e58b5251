package dev.provisioning.detector.cycle;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.persistence.SnapshotRepository.Snapshot;
import dev.provisioning.detector.source.CanonicalAttributes;
import dev.provisioning.detector.source.Directory;
import dev.provisioning.events.Assignment;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.job.ProvisioningScope;

/**
 * Diffs a fresh read of the directory against the snapshot of the last cycle and plans the events to emit. Only
 * objects whose relevant state (attributes or assignments) changed produce events, unless the cycle is full, which
 * re-evaluates everyone.
 *
 * <p>
 * Which users are relevant: with scope "assigned only", users with at least one assignment, plus users the job has seen
 * before or holds in Druva (so that losing an assignment produces an event and the user is disabled, even after a
 * restart cleared the snapshot); with scope "all", every user. Groups likewise: assigned groups (every group with scope
 * "all"), plus groups the job has seen or holds.
 *
 * <p>
 * A group's state includes the members Druva holds for the job, not all its members: when a cycle creates users, the
 * groups they belong to change state in the next cycle, which the detector runs as soon as the users' results are in
 * (Entra's "references" step: group members are sent once the users have Druva ids).
 *
 * <p>
 * The snapshot keeps each object's display name with its state, so the event of an object gone from the source carries
 * the name it last had ({@code displayName}, its only attribute), and every log entry about its removal names it.
 */
public final class CyclePlanner {

    private CyclePlanner() {
    }

    /**
     * @param snapshot the hash of each object's state, as left by the last cycle
     * @param managed the objects the job holds in Druva, with their type
     * @param full true to re-evaluate every relevant object (initial cycle, restart, configuration change)
     */
    public static CyclePlan plan(String jobId, String cycleId, boolean full, ProvisioningScope scope,
            Directory directory, Snapshot snapshot, Map<String, ObjectType> managed, Instant now) {
        Map<String, List<Assignment>> assignments = directory.assignmentsByUser();
        List<CyclePlan.Planned> events = new ArrayList<>();
        Map<String, String> userUpserts = new HashMap<>();
        Map<String, String> names = new HashMap<>();
        Set<String> users = new HashSet<>();
        for (Directory.SourceUser user : directory.users()) {
            users.add(user.id());
            List<Assignment> userAssignments = sorted(assignments.getOrDefault(user.id(), List.of()));
            String previous = snapshot.users().get(user.id());
            boolean known = previous != null || managed.get(user.id()) == ObjectType.USER;
            if (scope != ProvisioningScope.ALL && userAssignments.isEmpty() && !known) {
                continue;
            }
            String hash = hash(user.attributes(), userAssignments, List.of());
            boolean changed = !hash.equals(previous);
            if (!changed && !full) {
                continue;
            }
            // built when sent: the plan keeps the user and its assignments, which the read holds anyway
            events.add(new CyclePlan.Planned(ObjectType.USER, user.id(),
                    () -> userEvent(jobId, cycleId, full, user, userAssignments, known, now)));
            if (changed) {
                userUpserts.put(user.id(), hash);
                putName(names, user.id(), user.attributes());
            }
        }
        Map<String, String> groupUpserts = new HashMap<>();
        Set<String> groups = new HashSet<>();
        Map<String, List<Assignment>> groupAssignments = directory.assignmentsByGroup();
        for (Directory.SourceGroup group : directory.groups()) {
            groups.add(group.id());
            List<Assignment> direct = sorted(groupAssignments.getOrDefault(group.id(), List.of()));
            String previous = snapshot.groups().get(group.id());
            boolean known = previous != null || managed.get(group.id()) == ObjectType.GROUP;
            if (scope != ProvisioningScope.ALL && direct.isEmpty() && !known) {
                continue;
            }
            AssignmentEvent event = groupEvent(jobId, cycleId, full, group, direct, users, known, now);
            List<String> held = event.members().stream().filter(m -> managed.get(m) == ObjectType.USER).toList();
            String hash = hash(event.attributes(), direct, held);
            boolean changed = !hash.equals(previous);
            if (!changed && !full) {
                continue;
            }
            events.add(CyclePlan.Planned.of(event));
            if (changed) {
                groupUpserts.put(group.id(), hash);
                putName(names, group.id(), event.attributes());
            }
        }
        Set<String> removals = new HashSet<>();
        removed(snapshot.users().keySet(), users, removals);
        removed(snapshot.groups().keySet(), groups, removals);
        for (String gone : removals) {
            ObjectType type = snapshot.groups().containsKey(gone) ? ObjectType.GROUP : ObjectType.USER;
            events.add(CyclePlan.Planned.of(deleted(jobId, cycleId, full, type, gone, snapshot.names().get(gone),
                    now)));
        }
        if (full) {
            // objects Druva holds that left the source while the snapshot was cleared (restart): delete them too
            managed.forEach((id, type) -> {
                if (!snapshot.contains(id) && !(type == ObjectType.GROUP ? groups : users).contains(id)) {
                    events.add(CyclePlan.Planned.of(deleted(jobId, cycleId, true, type, id, snapshot.names().get(id),
                            now)));
                }
            });
        }
        return new CyclePlan(events, Map.of(ObjectType.USER, userUpserts, ObjectType.GROUP, groupUpserts), names,
                removals);
    }

    /** The name an object is logged with: its displayName, else its userPrincipalName; none when it has neither. */
    private static void putName(Map<String, String> names, String id, Map<String, Object> attributes) {
        Object name = attributes.get("displayName");
        if (name == null) {
            name = attributes.get("userPrincipalName");
        }
        if (name != null) {
            names.put(id, name.toString());
        }
    }

    private static void removed(Set<String> known, Set<String> present, Set<String> removals) {
        for (String id : known) {
            if (!present.contains(id)) {
                removals.add(id);
            }
        }
    }

    /**
     * The event of an object gone from the source.
     *
     * @param lastName the name the object last had (the snapshot's), or null when unknown: its only attribute, as
     *        {@code displayName}, so that the operation and every result name it
     */
    private static AssignmentEvent deleted(String jobId, String cycleId, boolean full, ObjectType type, String id,
            String lastName, Instant now) {
        return new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, Cycle.eventId(cycleId, id), jobId, cycleId, full,
                type, id, ChangeKind.HARD_DELETED, lastName == null ? Map.of() : Map.of("displayName", lastName),
                List.of(), List.of(), now);
    }

    /**
     * The event of one user, as a cycle would emit it (provision on demand).
     *
     * @param known whether the job has seen the user before
     */
    public static AssignmentEvent userEvent(String jobId, String cycleId, Directory directory,
            Directory.SourceUser user,
            boolean known, Instant now) {
        return userEvent(jobId, cycleId, false, user,
                sorted(directory.assignmentsByUser().getOrDefault(user.id(), List.of())), known, now);
    }

    /** A user's event: its attributes and its assignments (sorted). */
    private static AssignmentEvent userEvent(String jobId, String cycleId, boolean full, Directory.SourceUser user,
            List<Assignment> assignments, boolean known, Instant now) {
        ChangeKind kind = user.attributes().get("deletedDateTime") != null
                ? ChangeKind.SOFT_DELETED
                : known ? ChangeKind.UPDATED : ChangeKind.ADDED;
        return new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, Cycle.eventId(cycleId, user.id()), jobId, cycleId,
                full, ObjectType.USER, user.id(), kind, user.attributes(), assignments, List.of(), now);
    }

    /**
     * The event of one group, as a cycle would emit it (provision on demand).
     *
     * @param known whether the job has seen the group before
     */
    public static AssignmentEvent groupEvent(String jobId, String cycleId, Directory directory,
            Directory.SourceGroup group, boolean known, Instant now) {
        Set<String> users = new HashSet<>();
        directory.users().forEach(u -> users.add(u.id()));
        return groupEvent(jobId, cycleId, false, group,
                sorted(directory.assignmentsByGroup().getOrDefault(group.id(), List.of())), users, known, now);
    }

    /** A group's event: its displayName, its direct assignments, and its direct members that are users. */
    private static AssignmentEvent groupEvent(String jobId, String cycleId, boolean full, Directory.SourceGroup group,
            List<Assignment> direct, Set<String> users, boolean known, Instant now) {
        List<String> members = group.members().stream().filter(users::contains).distinct().sorted().toList();
        Map<String, Object> attributes = group.displayName() == null
                ? Map.of()
                : Map.of("displayName", group.displayName());
        return new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, Cycle.eventId(cycleId, group.id()), jobId, cycleId,
                full,
                ObjectType.GROUP, group.id(), known ? ChangeKind.UPDATED : ChangeKind.ADDED, attributes, direct,
                members, now);
    }

    private static List<Assignment> sorted(List<Assignment> assignments) {
        return assignments.stream().sorted(Comparator.comparing(Assignment::appRoleId)
                .thenComparing(a -> a.viaGroupId() == null ? "" : a.viaGroupId())).toList();
    }

    /**
     * The hash of an object's state: the first 16 bytes of SHA-256 of its canonical attributes (keys sorted), its
     * assignments and (groups) its members, as 32 hex digits. A user read from a directory file carries its canonical
     * attributes already ({@link CanonicalAttributes}) and keeps its last state hash, so an unchanged user is not
     * serialised nor digested again; the hash is the same either way.
     */
    static String hash(Map<String, Object> attributes, List<Assignment> assignments, List<String> members) {
        if (attributes instanceof CanonicalAttributes canonical && members.isEmpty()) {
            return canonical.stateHash(assignments, () -> hash(canonical.json(), assignments, members));
        }
        return hash(Json.write(new TreeMap<>(attributes)), assignments, members);
    }

    private static String hash(String canonicalAttributes, List<Assignment> assignments, List<String> members) {
        String canonical = canonicalAttributes + "|" + Json.write(assignments)
                + (members.isEmpty() ? "" : "|" + Json.write(members));
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
