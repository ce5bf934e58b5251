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
import java.util.UUID;

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
 * before (so that losing an assignment produces an event and the user is disabled); with scope "all", every user.
 */
public final class CyclePlanner {

    private CyclePlanner() {
    }

    /**
     * @param snapshot object id to state hash, as left by the last cycle
     * @param full true to re-evaluate every relevant object (initial cycle, restart, configuration change)
     */
    public static CyclePlan plan(String jobId, String cycleId, boolean full, ProvisioningScope scope,
            Directory directory,
            Map<String, String> snapshot, Instant now) {
        Map<String, List<Assignment>> assignments = directory.assignmentsByUser();
        List<AssignmentEvent> events = new ArrayList<>();
        Map<String, String> upserts = new HashMap<>();
        Set<String> present = new HashSet<>();
        for (Directory.SourceUser user : directory.users()) {
            present.add(user.id());
            List<Assignment> userAssignments = sorted(assignments.getOrDefault(user.id(), List.of()));
            String previous = snapshot.get(user.id());
            boolean relevant = scope == ProvisioningScope.ALL || !userAssignments.isEmpty() || previous != null;
            if (!relevant) {
                continue;
            }
            String hash = hash(user.attributes(), userAssignments);
            boolean changed = !hash.equals(previous);
            if (!changed && !full) {
                continue;
            }
            ChangeKind kind = user.attributes().get("deletedDateTime") != null
                    ? ChangeKind.SOFT_DELETED
                    : previous == null ? ChangeKind.ADDED : ChangeKind.UPDATED;
            events.add(new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, eventId(cycleId, user.id()), jobId, cycleId,
                    full, ObjectType.USER, user.id(), kind, user.attributes(), userAssignments, List.of(), now));
            if (changed) {
                upserts.put(user.id(), hash);
            }
        }
        Set<String> removals = new HashSet<>();
        for (String known : snapshot.keySet()) {
            if (!present.contains(known)) {
                removals.add(known);
                events.add(new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, eventId(cycleId, known), jobId, cycleId,
                        full, ObjectType.USER, known, ChangeKind.HARD_DELETED, Map.of(), List.of(), List.of(), now));
            }
        }
        return new CyclePlan(events, upserts, removals);
    }

    /**
     * The event of one user, as a cycle would emit it (provision on demand).
     *
     * @param known whether the job has seen the user before
     */
    public static AssignmentEvent userEvent(String jobId, String cycleId, Directory directory,
            Directory.SourceUser user,
            boolean known, Instant now) {
        List<Assignment> userAssignments = sorted(directory.assignmentsByUser().getOrDefault(user.id(), List.of()));
        ChangeKind kind = user.attributes().get("deletedDateTime") != null
                ? ChangeKind.SOFT_DELETED
                : known ? ChangeKind.UPDATED : ChangeKind.ADDED;
        return new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, eventId(cycleId, user.id()), jobId, cycleId, false,
                ObjectType.USER, user.id(), kind, user.attributes(), userAssignments, List.of(), now);
    }

    private static List<Assignment> sorted(List<Assignment> assignments) {
        return assignments.stream().sorted(Comparator.comparing(Assignment::appRoleId)
                .thenComparing(a -> a.viaGroupId() == null ? "" : a.viaGroupId())).toList();
    }

    /** A stable event id for an object in a cycle, so a re-sent event is recognised downstream. */
    public static String eventId(String cycleId, String objectId) {
        return UUID.nameUUIDFromBytes((cycleId + "/" + objectId).getBytes(StandardCharsets.UTF_8)).toString();
    }

    static String hash(Map<String, Object> attributes, List<Assignment> assignments) {
        String canonical = Json.write(new TreeMap<>(attributes)) + "|" + Json.write(assignments);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
