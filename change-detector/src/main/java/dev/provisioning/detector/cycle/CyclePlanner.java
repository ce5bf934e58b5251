package dev.provisioning.detector.cycle;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
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
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectWriter;

import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.persistence.SnapshotRepository.Snapshot;
import dev.provisioning.detector.source.CanonicalAttributes;
import dev.provisioning.detector.source.Directory;
import dev.provisioning.detector.source.IdIndex;
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

    /** {@link Json#write}'s writer, leaving the target open (the state hash writes several values to one). */
    private static final ObjectWriter JSON = Json.mapper().writer().without(JsonGenerator.Feature.AUTO_CLOSE_TARGET);

    private CyclePlanner() {
    }

    /**
     * Plans a cycle by walking every user and group of the read: the reference every other way of planning must agree
     * with.
     *
     * @param snapshot the hash of each object's state, as left by the last cycle
     * @param managed the objects the job holds in Druva, with their type
     * @param full true to re-evaluate every relevant object (initial cycle, restart, configuration change)
     */
    public static CyclePlan plan(String jobId, String cycleId, boolean full, ProvisioningScope scope,
            Directory directory, Snapshot snapshot, Map<String, ObjectType> managed, Instant now) {
        return walk(new Inputs(jobId, cycleId, full, scope, snapshot, managed, now), directory, 0).plan();
    }

    /**
     * A cycle's plan, and what the next cycle of the job may plan from ({@link PlanMemo}; null when it cannot).
     *
     * @param incremental whether the plan came from the memo (only the changed objects were planned)
     */
    public record Planning(CyclePlan plan, PlanMemo memo, boolean incremental) {
    }

    /**
     * Plans a cycle, from the memo of the job's last plan when it can ({@link PlanMemo#replan}: an incremental cycle
     * whose snapshot, managed objects and read can be compared with the memo's), else by walking every object as
     * {@link #plan(String, String, boolean, ProvisioningScope, Directory, Snapshot, Map, Instant)} does. The plan is the
     * same either way.
     *
     * @param memo the memo the job's last cycle left ({@link PlanMemos}), or null
     * @param snapshotGeneration the generation of {@code snapshot} ({@link SnapshotCache.Basis#generation})
     * @param managed the objects the job holds in Druva, as taken for this cycle
     */
    static Planning plan(PlanMemo memo, String jobId, String cycleId, boolean full, ProvisioningScope scope,
            Directory directory, Snapshot snapshot, long snapshotGeneration, ManagedObjectsCache.Taken managed,
            Instant now) {
        Inputs in = new Inputs(jobId, cycleId, full, scope, snapshot, managed.objects(), now);
        if (memo != null && !full) {
            Planning replanned = memo.replan(in, directory, snapshotGeneration, managed);
            if (replanned != null) {
                return replanned;
            }
        }
        return walk(in, directory, managed.version());
    }

    /** What a plan depends on besides the read. */
    record Inputs(String jobId, String cycleId, boolean full, ProvisioningScope scope, Snapshot snapshot,
            Map<String, ObjectType> managed, Instant now) {
    }

    /** What a plan is being built into. */
    static final class Output {

        final List<CyclePlan.Planned> events = new ArrayList<>();
        final Map<String, String> userUpserts = new HashMap<>();
        final Map<String, String> groupUpserts = new HashMap<>();
        final Map<String, String> names = new HashMap<>();
        final Set<String> removals = new HashSet<>();
        /** The ids of every object planned (removals included). */
        final Set<String> planned = new HashSet<>();

        CyclePlan plan() {
            return new CyclePlan(events, Map.of(ObjectType.USER, userUpserts, ObjectType.GROUP, groupUpserts),
                    names, removals);
        }
    }

    private static Planning walk(Inputs in, Directory directory, long managedVersion) {
        Map<String, List<Assignment>> assignments = sortedValues(directory.assignmentsByUser());
        Map<String, List<Assignment>> groupAssignments = sortedValues(directory.assignmentsByGroup());
        Output out = new Output();
        IdIndex userIndex = new IdIndex(directory.users().size());
        boolean unique = true;
        List<Directory.SourceUser> users = directory.users();
        for (int i = 0; i < users.size(); i++) {
            Directory.SourceUser user = users.get(i);
            unique &= userIndex.put(user.id(), i) == IdIndex.ABSENT;
            planUser(in, out, user, assignments.getOrDefault(user.id(), List.of()));
        }
        Set<String> groups = new HashSet<>();
        for (Directory.SourceGroup group : directory.groups()) {
            unique &= groups.add(group.id());
            planGroup(in, out, group, groupAssignments.getOrDefault(group.id(), List.of()), userIndex.ids());
        }
        Set<String> known = new HashSet<>(in.snapshot().users().keySet());
        known.addAll(in.snapshot().groups().keySet());
        removals(in, out, known, userIndex.ids(), groups);
        if (in.full()) {
            // objects Druva holds that left the source while the snapshot was cleared (restart): delete them too
            in.managed().forEach((id, type) -> {
                if (!in.snapshot().contains(id)
                        && !(type == ObjectType.GROUP ? groups.contains(id) : userIndex.contains(id))) {
                    out.events.add(CyclePlan.Planned.of(deleted(in, type, id, in.snapshot().names().get(id))));
                    out.planned.add(id);
                }
            });
        }
        PlanMemo memo = unique
                ? new PlanMemo(in.scope(), in.snapshot(), managedVersion, directory, userIndex, groups, assignments,
                        groupAssignments, out.planned)
                : null;
        return new Planning(out.plan(), memo, false);
    }

    /**
     * Plans one user: an event when it is relevant and its state changed since the snapshot (or the cycle is full).
     *
     * @param assignments its assignments, sorted
     */
    static void planUser(Inputs in, Output out, Directory.SourceUser user, List<Assignment> assignments) {
        String previous = in.snapshot().users().get(user.id());
        boolean known = previous != null || in.managed().get(user.id()) == ObjectType.USER;
        if (in.scope() != ProvisioningScope.ALL && assignments.isEmpty() && !known) {
            return;
        }
        String hash = hash(user.attributes(), assignments, List.of());
        boolean changed = !hash.equals(previous);
        if (!changed && !in.full()) {
            return;
        }
        // built when sent: the plan keeps the user and its assignments, which the read holds anyway
        out.events.add(new CyclePlan.Planned(ObjectType.USER, user.id(),
                () -> userEvent(in.jobId(), in.cycleId(), in.full(), user, assignments, known,
                        in.managed().get(user.id()) == ObjectType.USER, in.now())));
        out.planned.add(user.id());
        if (changed) {
            out.userUpserts.put(user.id(), hash);
            putName(out.names, user.id(), user.attributes());
        }
    }

    /**
     * Plans one group, as {@link #planUser} a user.
     *
     * @param direct its direct assignments, sorted
     * @param users the ids of the read's users
     */
    static void planGroup(Inputs in, Output out, Directory.SourceGroup group, List<Assignment> direct,
            Set<String> users) {
        String previous = in.snapshot().groups().get(group.id());
        boolean known = previous != null || in.managed().get(group.id()) == ObjectType.GROUP;
        if (in.scope() != ProvisioningScope.ALL && direct.isEmpty() && !known) {
            return;
        }
        AssignmentEvent event = groupEvent(in.jobId(), in.cycleId(), in.full(), group, direct, users, known,
                in.managed().get(group.id()) == ObjectType.GROUP, in.now());
        List<String> held = event.members().stream().filter(m -> in.managed().get(m) == ObjectType.USER).toList();
        String hash = hash(event.attributes(), direct, held);
        boolean changed = !hash.equals(previous);
        if (!changed && !in.full()) {
            return;
        }
        out.events.add(CyclePlan.Planned.of(event));
        out.planned.add(group.id());
        if (changed) {
            out.groupUpserts.put(group.id(), hash);
            putName(out.names, group.id(), event.attributes());
        }
    }

    /**
     * Plans the deletion of each of {@code candidates} that the snapshot holds and the read no longer has, in the
     * order of their ids.
     */
    static void removals(Inputs in, Output out, Set<String> candidates, Set<String> users, Set<String> groups) {
        List<String> gone = new ArrayList<>();
        for (String id : candidates) {
            if ((in.snapshot().users().containsKey(id) && !users.contains(id))
                    || (in.snapshot().groups().containsKey(id) && !groups.contains(id))) {
                gone.add(id);
            }
        }
        gone.sort(null);
        for (String id : gone) {
            ObjectType type = in.snapshot().groups().containsKey(id) ? ObjectType.GROUP : ObjectType.USER;
            out.events.add(CyclePlan.Planned.of(deleted(in, type, id, in.snapshot().names().get(id))));
            out.removals.add(id);
            out.planned.add(id);
        }
    }

    /**
     * Each object's assignments sorted, equal lists shared: most users of a tenant have the same few (a role through
     * the same group), so the plan memo and each user's kept state hash hold one list per distinct set of assignments
     * instead of one per user.
     */
    private static Map<String, List<Assignment>> sortedValues(Map<String, List<Assignment>> assignments) {
        Map<String, List<Assignment>> sorted = new HashMap<>(assignments.size() * 4 / 3 + 1);
        Map<List<Assignment>, List<Assignment>> shared = new HashMap<>();
        assignments.forEach((id, list) -> sorted.put(id, shared.computeIfAbsent(sorted(list), l -> l)));
        return sorted;
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

    /**
     * The event of an object gone from the source.
     *
     * @param lastName the name the object last had (the snapshot's), or null when unknown: its only attribute, as
     *        {@code displayName}, so that the operation and every result name it
     */
    private static AssignmentEvent deleted(Inputs in, ObjectType type, String id, String lastName) {
        return new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, Cycle.eventId(in.cycleId(), id), in.jobId(),
                in.cycleId(), in.full(), type, id, ChangeKind.HARD_DELETED,
                lastName == null ? Map.of() : Map.of("displayName", lastName), List.of(), List.of(), in.now());
    }

    /**
     * The event of one user, as a cycle would emit it (provision on demand).
     *
     * @param known whether the job has seen the user before
     * @param inTarget whether the job holds the user in Druva
     */
    public static AssignmentEvent userEvent(String jobId, String cycleId, Directory directory,
            Directory.SourceUser user, boolean known, boolean inTarget, Instant now) {
        return userEvent(jobId, cycleId, false, user,
                sorted(directory.assignmentsByUser().getOrDefault(user.id(), List.of())), known, inTarget, now);
    }

    /** A user's event: its attributes and its assignments (sorted). */
    private static AssignmentEvent userEvent(String jobId, String cycleId, boolean full, Directory.SourceUser user,
            List<Assignment> assignments, boolean known, boolean inTarget, Instant now) {
        ChangeKind kind = user.attributes().get("deletedDateTime") != null
                ? ChangeKind.SOFT_DELETED
                : known ? ChangeKind.UPDATED : ChangeKind.ADDED;
        return new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, Cycle.eventId(cycleId, user.id()), jobId, cycleId,
                full, ObjectType.USER, user.id(), kind, user.attributes(), assignments, List.of(), now, inTarget);
    }

    /**
     * The event of one group, as a cycle would emit it (provision on demand).
     *
     * @param known whether the job has seen the group before
     * @param inTarget whether the job holds the group in Druva
     */
    public static AssignmentEvent groupEvent(String jobId, String cycleId, Directory directory,
            Directory.SourceGroup group, boolean known, boolean inTarget, Instant now) {
        Set<String> users = new HashSet<>();
        directory.users().forEach(u -> users.add(u.id()));
        return groupEvent(jobId, cycleId, false, group,
                sorted(directory.assignmentsByGroup().getOrDefault(group.id(), List.of())), users, known, inTarget,
                now);
    }

    /** A group's event: its displayName, its direct assignments, and its direct members that are users. */
    private static AssignmentEvent groupEvent(String jobId, String cycleId, boolean full, Directory.SourceGroup group,
            List<Assignment> direct, Set<String> users, boolean known, boolean inTarget, Instant now) {
        List<String> members = group.members().stream().filter(users::contains).distinct().sorted().toList();
        Map<String, Object> attributes = group.displayName() == null
                ? Map.of()
                : Map.of("displayName", group.displayName());
        return new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, Cycle.eventId(cycleId, group.id()), jobId, cycleId,
                full,
                ObjectType.GROUP, group.id(), known ? ChangeKind.UPDATED : ChangeKind.ADDED, attributes, direct,
                members, now, inTarget);
    }

    /** {@code assignments} sorted by app role id, then group id (direct first), as an unmodifiable list. */
    static List<Assignment> sorted(List<Assignment> assignments) {
        // List.copyOf of this list is the list itself (CanonicalAttributes keeps it with the user's state hash)
        return assignments.stream().sorted(Comparator.comparing(Assignment::appRoleId)
                .thenComparing(a -> a.viaGroupId() == null ? "" : a.viaGroupId()))
                .collect(Collectors.toUnmodifiableList());
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

    /**
     * SHA-256 of the UTF-8 bytes of {@code canonicalAttributes + "|" + Json.write(assignments)} and, with members,
     * {@code "|" + Json.write(members)}: written through to the digest, so a group of 50,000 members is hashed without
     * building its JSON as a string (the same characters, encoded as {@link String#getBytes} encodes them).
     */
    private static String hash(String canonicalAttributes, List<Assignment> assignments, List<String> members) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            Writer canonical = new OutputStreamWriter(new DigestOutputStream(OutputStream.nullOutputStream(), sha256),
                    StandardCharsets.UTF_8);
            canonical.write(canonicalAttributes);
            canonical.write('|');
            JSON.writeValue(canonical, assignments);
            if (!members.isEmpty()) {
                canonical.write('|');
                JSON.writeValue(canonical, members);
            }
            canonical.flush();
            return java.util.HexFormat.of().formatHex(sha256.digest(), 0, 16);
        } catch (NoSuchAlgorithmException | IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
