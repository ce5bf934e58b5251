package dev.provisioning.detector.cycle;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.provisioning.detector.persistence.SnapshotRepository.Snapshot;
import dev.provisioning.detector.source.Directory;
import dev.provisioning.detector.source.IdIndex;
import dev.provisioning.events.Assignment;
import dev.provisioning.events.job.ProvisioningScope;

/**
 * What a job's last plan worked from, kept so that its next incremental cycle plans only what changed since
 * ({@link #replan}) instead of walking every user (issue 13: a 100,000-user tenant's incremental cycle spent most of
 * its CPU re-planning unchanged users).
 *
 * <p>
 * Why it gives the plan a full walk gives: an object's plan depends only on its element of the read (an unchanged
 * element of a directory file is the same object from one read to the next, {@code ElementMemo}), its assignments, its
 * snapshot entry, its managed type, and (a group) which of its members are users the job holds. After a cycle moved
 * the snapshot by its plan, an object whose inputs are all unchanged plans to nothing in an incremental cycle: its state
 * hash is the snapshot's. So the next incremental cycle re-plans only:
 * <ul>
 * <li>users whose element changed, came or went (compared position by position, by identity), whose assignments
 * changed (a member added to or removed from an assigned group), or whose managed object was written or removed since
 * (the delta of {@link ManagedObjectsCache});</li>
 * <li>the groups whose element changed, and those with a member that came or went or whose managed object changed
 * (a group's state holds the members the job holds);</li>
 * <li>everything the last plan planned (an event the snapshot may not reflect) and the deletions of objects gone.</li>
 * </ul>
 * With managed objects read in full (none were kept: after a job's first cycle, whose follow-up runs as soon as its
 * results are in to send the groups' members, or after a restart or a purge) which of them changed is not known: every
 * user and group is planned again, as a walk plans them, but from the memo's indexes and sorted assignments. The walk
 * would build them anew (at 100,000 users a set of assignments per user, then the maps sorted from them, and an index)
 * beside the memo's, which the cycle holds while it plans, with the snapshot and the read: the detector's peak
 * (issue 13).
 *
 * <p>
 * It falls back to the full walk (and a new memo) on any doubt: a full cycle, another scope, a snapshot other than the
 * one the memo's cycle moved (another replica's cycle, a restart, a reload), managed objects brought up to date from
 * a version other than the memo's, any change to the assignments or app roles, groups added, removed or reordered,
 * duplicate ids, or more than an eighth of the users changed. A cycle that held deletions, or of a quarantined job, keeps no memo
 * ({@code CycleRunner}).
 *
 * <p>
 * Owned by one cycle at a time ({@link PlanMemos#take}); {@link #replan} brings it up to date in place. Holds, besides
 * the read's lists (which the read holds anyway), each user's position and sorted assignments: about 100 bytes a user.
 */
public final class PlanMemo {

    /** Below this many users, up to this many changed positions are still replanned; above, an eighth of them. */
    static final int MIN_CHANGES = 64;

    private final ProvisioningScope scope;
    private final Snapshot snapshot;
    private long managedVersion;
    /** The snapshot's generation once the memo's cycle moved it; -1 until then. */
    private long generation = -1;
    private List<Directory.SourceUser> users;
    private List<Directory.SourceGroup> groups;
    private final List<Directory.SourceAssignment> assignments;
    private final Map<String, Directory.AppRole> appRoles;
    /** User id to its position in {@link #users}. */
    private final IdIndex userIndex;
    private final Set<String> groupIds;
    /** What {@link Directory#assignmentsByUser} gives, each list sorted. */
    private final Map<String, List<Assignment>> assignmentsByUser;
    /** What {@link Directory#assignmentsByGroup} gives, each list sorted. */
    private final Map<String, List<Assignment>> assignmentsByGroup;
    /** The ids of the objects the last plan planned (removals included). */
    private Set<String> planned;

    PlanMemo(ProvisioningScope scope, Snapshot snapshot, long managedVersion, Directory directory,
            IdIndex userIndex, Set<String> groupIds, Map<String, List<Assignment>> assignmentsByUser,
            Map<String, List<Assignment>> assignmentsByGroup, Set<String> planned) {
        this.scope = scope;
        this.snapshot = snapshot;
        this.managedVersion = managedVersion;
        this.users = directory.users();
        this.groups = directory.groups();
        this.assignments = directory.assignments();
        this.appRoles = directory.appRoles();
        this.userIndex = userIndex;
        this.groupIds = groupIds;
        this.assignmentsByUser = assignmentsByUser;
        this.assignmentsByGroup = assignmentsByGroup;
        this.planned = planned;
    }

    /** The memo, valid for the snapshot at {@code generation} (the one its cycle moved the snapshot to). */
    PlanMemo at(long generation) {
        this.generation = generation;
        return this;
    }

    /** Users the memo holds (its size, for the cache's bound). */
    long objects() {
        return users.size() + groups.size();
    }

    /**
     * The plan of an incremental cycle from this memo, or null when the memo cannot tell it (then nothing was changed
     * and the caller walks every object).
     */
    CyclePlanner.Planning replan(CyclePlanner.Inputs in, Directory directory, long snapshotGeneration,
            ManagedObjectsCache.Taken managed) {
        // managed objects read in full (none were kept: the job's first cycle wrote none, a restart, a purge): which of
        // them changed since the memo is not known, so every object is planned again, from the memo's indexes
        boolean everyObject = !managed.delta();
        if (in.scope() != scope || in.snapshot() != snapshot || generation < 0 || snapshotGeneration != generation
                || !everyObject && (managed.since() != managedVersion || managedVersion == 0)
                || !sameAssignments(directory) || !directory.appRoles().equals(appRoles)) {
            return null;
        }
        List<Directory.SourceGroup> nextGroups = directory.groups();
        if (nextGroups.size() != groups.size()) {
            return null;
        }
        List<Integer> changedGroups = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            if (nextGroups.get(i) != groups.get(i)) {
                if (!nextGroups.get(i).id().equals(groups.get(i).id())) {
                    return null;
                }
                changedGroups.add(i);
            }
        }
        List<Directory.SourceUser> nextUsers = directory.users();
        int positions = Math.max(users.size(), nextUsers.size());
        int limit = Math.max(MIN_CHANGES, positions / 8);
        List<String> before = new ArrayList<>();
        Map<String, Integer> after = new HashMap<>();
        for (int i = 0; i < positions; i++) {
            Directory.SourceUser was = i < users.size() ? users.get(i) : null;
            Directory.SourceUser is = i < nextUsers.size() ? nextUsers.get(i) : null;
            if (was == is) {
                continue;
            }
            if (was != null) {
                before.add(was.id());
            }
            if (is != null && after.put(is.id(), i) != null) {
                return null;
            }
            if (before.size() > limit || after.size() > limit) {
                return null;
            }
        }
        for (Map.Entry<String, Integer> e : after.entrySet()) {
            int at = userIndex.get(e.getKey());
            if (at != IdIndex.ABSENT && at != e.getValue().intValue() && at < nextUsers.size() && at < users.size()
                    && nextUsers.get(at) == users.get(at)) {
                // the same id at an unchanged position too: a duplicate
                return null;
            }
        }
        // from here on the memo is brought up to date
        Set<String> presence = new HashSet<>();
        // every object planned again: no set of the dirty ones (100,000 ids after a job's first cycle)
        Set<String> dirty = everyObject ? new HashSet<>() : new HashSet<>(planned);
        Set<String> removalCandidates = new HashSet<>(planned);
        for (String id : before) {
            if (!after.containsKey(id)) {
                userIndex.remove(id);
                removalCandidates.add(id);
                presence.add(id);
            }
        }
        for (Map.Entry<String, Integer> e : after.entrySet()) {
            if (userIndex.put(e.getKey(), e.getValue()) == IdIndex.ABSENT) {
                presence.add(e.getKey());
            }
            dirty.add(e.getKey());
        }
        for (int i : changedGroups) {
            dirty.addAll(membershipChanged(groups.get(i), nextGroups.get(i)));
        }
        dirty.addAll(managed.changedIds());
        users = nextUsers;
        groups = nextGroups;
        managedVersion = managed.version();

        CyclePlanner.Output out = new CyclePlanner.Output();
        if (everyObject) {
            for (Directory.SourceUser user : users) {
                CyclePlanner.planUser(in, out, user, assignmentsByUser.getOrDefault(user.id(), List.of()));
            }
        } else {
            List<Integer> userPositions = new ArrayList<>();
            for (String id : dirty) {
                int at = userIndex.get(id);
                if (at != IdIndex.ABSENT) {
                    userPositions.add(at);
                }
            }
            userPositions.sort(null);
            for (int at : userPositions) {
                Directory.SourceUser user = users.get(at);
                CyclePlanner.planUser(in, out, user, assignmentsByUser.getOrDefault(user.id(), List.of()));
            }
        }
        // a group's state holds which of its members are users the job holds: a group with a member that came, went
        // or whose managed object changed is planned again (one look at each member of the unchanged groups)
        Set<String> reach = new HashSet<>(managed.changedIds());
        reach.addAll(presence);
        Set<Integer> changed = new HashSet<>(changedGroups);
        for (int i = 0; i < groups.size(); i++) {
            Directory.SourceGroup group = groups.get(i);
            if (everyObject || changed.contains(i) || planned.contains(group.id()) || reach.contains(group.id())
                    || reaches(group, reach)) {
                CyclePlanner.planGroup(in, out, group, assignmentsByGroup.getOrDefault(group.id(), List.of()),
                        userIndex.ids());
            }
        }
        CyclePlanner.removals(in, out, removalCandidates, userIndex.ids(), groupIds);
        planned = out.planned;
        generation = -1;
        return new CyclePlanner.Planning(out.plan(), this, true);
    }

    private static boolean reaches(Directory.SourceGroup group, Set<String> ids) {
        if (ids.isEmpty()) {
            return false;
        }
        for (String member : group.members()) {
            if (ids.contains(member)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the read's assignments are the memo's, element by element (the same objects). */
    private boolean sameAssignments(Directory directory) {
        List<Directory.SourceAssignment> next = directory.assignments();
        if (next.size() != assignments.size()) {
            return false;
        }
        for (int i = 0; i < next.size(); i++) {
            if (next.get(i) != assignments.get(i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The users that joined or left {@code next} (the same group as {@code was}), with their assignments through the
     * group brought up to date: those of a user are exactly the group's direct assignments with the group as
     * {@code viaGroupId} ({@link Directory#assignmentsByUser}).
     */
    private Set<String> membershipChanged(Directory.SourceGroup was, Directory.SourceGroup next) {
        Set<String> old = new HashSet<>(was.members());
        Set<String> now = new HashSet<>(next.members());
        Set<String> changed = new HashSet<>();
        for (String m : now) {
            if (!old.contains(m)) {
                changed.add(m);
            }
        }
        for (String m : old) {
            if (!now.contains(m)) {
                changed.add(m);
            }
        }
        List<Assignment> roles = assignmentsByGroup.getOrDefault(next.id(), List.of());
        if (roles.isEmpty()) {
            return changed;
        }
        for (String user : changed) {
            List<Assignment> list = new ArrayList<>();
            for (Assignment a : assignmentsByUser.getOrDefault(user, List.of())) {
                if (!next.id().equals(a.viaGroupId())) {
                    list.add(a);
                }
            }
            if (now.contains(user)) {
                for (Assignment role : roles) {
                    list.add(new Assignment(role.appRoleId(), next.id(), role.appRoleValue(),
                            role.appRoleDisplayName()));
                }
            }
            if (list.isEmpty()) {
                assignmentsByUser.remove(user);
            } else {
                assignmentsByUser.put(user, CyclePlanner.sorted(list));
            }
        }
        return changed;
    }
}
