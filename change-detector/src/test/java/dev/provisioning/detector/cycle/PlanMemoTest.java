package dev.provisioning.detector.cycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.provisioning.detector.persistence.SnapshotRepository;
import dev.provisioning.detector.persistence.SnapshotRepository.Snapshot;
import dev.provisioning.detector.source.Directory;
import dev.provisioning.detector.source.DirectoryFileSource;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.job.ProvisioningScope;

/**
 * Issue 13: an incremental cycle planned from the memo of the job's last plan ({@link PlanMemo}) plans exactly what a
 * walk of every object plans. Through hundreds of random batches of changes to a directory file (users renamed,
 * soft-deleted, added at the end or in the middle, removed; members added to and removed from groups; the managed
 * objects changing as results come in), each cycle's plan from the memo equals the walk's (same events in the same
 * order, same snapshot changes), and the snapshot moves by it as a cycle moves it. The cases the memo cannot tell fall
 * back to the walk, and are exercised: a full cycle, another scope, assignments or app roles changed, a group added, a
 * snapshot reloaded (another replica's cycle), a cycle that failed before it moved the snapshot (no memo kept). Managed
 * objects read in full (the first cycle's follow-up, which sends the groups' members once the users' results are in)
 * plan every object again from the memo, and give the walk's plan too.
 */
class PlanMemoTest {

    private static final String JOB = "job-1";

    @TempDir
    Path dir;

    private final Random random = new Random(13);
    private final List<Map<String, Object>> users = new ArrayList<>();
    private final List<Map<String, Object>> groups = new ArrayList<>();
    private final List<Map<String, Object>> assignments = new ArrayList<>();
    private final List<Map<String, Object>> appRoles = new ArrayList<>(
            List.of(Map.of("id", "r1", "value", "User", "displayName", "User"),
                    Map.of("id", "r2", "value", "Admin", "displayName", "Admin")));
    private int nextUser;

    @Test
    void everyIncrementalPlanEqualsTheWalkOfEveryObject() throws Exception {
        for (int i = 0; i < 120; i++) {
            users.add(user());
        }
        for (int g = 0; g < 6; g++) {
            Set<String> members = new LinkedHashSet<>();
            for (int k = 0; k < 10 + g * 8; k++) {
                members.add(id(users.get(random.nextInt(users.size()))));
            }
            groups.add(new LinkedHashMap<>(Map.of("id", "group-" + g, "displayName", "team " + g, "members",
                    new ArrayList<>(members))));
            if (g < 4) {
                assignments.add(Map.of("principalId", "group-" + g, "principalType", "Group", "appRoleId",
                        g == 0 ? "r2" : "r1"));
            }
        }
        for (int i = 0; i < users.size(); i += 5) {
            assignments.add(Map.of("principalId", id(users.get(i)), "principalType", "User", "appRoleId", "r1"));
        }
        Path file = dir.resolve("directory.json");
        DirectoryFileSource source = new DirectoryFileSource(file, DirectoryFileSource.Limits.DEFAULT);
        Snapshot snapshot = new Snapshot(new HashMap<>(), new HashMap<>(), new HashMap<>());
        Map<String, ObjectType> managed = new HashMap<>();
        long managedVersion = 1;
        long generation = 1;
        ProvisioningScope scope = ProvisioningScope.ASSIGNED_ONLY;
        PlanMemo memo = null;
        int fromMemo = 0;
        int walked = 0;
        List<String> created = new ArrayList<>();
        for (int step = 0; step < 300; step++) {
            // what the memo cannot tell, now and then
            int doubt = step == 0 ? 0 : step == 1 ? 2 : random.nextInt(25);
            boolean full = step == 0 || doubt == 1;
            // the first cycle reads the job's managed objects in full (none yet: version 0), and so does its
            // follow-up (nothing was kept), which runs once the new users' results are in; and now and then
            boolean managedInFull = step <= 1 || doubt == 2;
            // managed objects read in full: every object is planned again, from the memo
            boolean expectWalk = memo == null || full;
            if (doubt == 3) {
                scope = scope == ProvisioningScope.ALL ? ProvisioningScope.ASSIGNED_ONLY : ProvisioningScope.ALL;
                expectWalk = true;
            } else if (doubt == 4) {
                assignments.add(Map.of("principalId", id(users.get(random.nextInt(users.size()))), "principalType",
                        "User", "appRoleId", random.nextBoolean() ? "r1" : "r2"));
                expectWalk = true;
            } else if (doubt == 5) {
                appRoles.set(1, Map.of("id", "r2", "value", "Admin", "displayName", "Admin " + step));
                expectWalk = true;
            } else if (doubt == 6) {
                groups.add(new LinkedHashMap<>(Map.of("id", "group-" + groups.size(), "displayName", "late",
                        "members", new ArrayList<>(List.of(id(users.get(0)))))));
                expectWalk = true;
            } else if (doubt == 7) {
                // another replica's cycle moved the snapshot: this one is loaded again
                snapshot = new Snapshot(new HashMap<>(snapshot.users()), new HashMap<>(snapshot.groups()),
                        new HashMap<>(snapshot.names()));
                expectWalk = true;
            }
            // the follow-up reads the file unchanged
            boolean shifted = step != 1 && changeUsersAndGroups(step);
            // the results of the last cycle's new users, and a few others
            Set<String> changedIds = new HashSet<>();
            for (String id : created) {
                managed.put(id, ObjectType.USER);
                changedIds.add(id);
            }
            created.clear();
            if (random.nextInt(4) == 0) {
                String id = id(users.get(random.nextInt(users.size())));
                if (managed.remove(id) == null) {
                    managed.put(id, ObjectType.USER);
                }
                changedIds.add(id);
            }
            if (random.nextInt(6) == 0 && !groups.isEmpty()) {
                String id = (String) groups.get(random.nextInt(groups.size())).get("id");
                managed.put(id, ObjectType.GROUP);
                changedIds.add(id);
            }
            long since = managedVersion;
            managedVersion++;
            ManagedObjectsCache.Taken taken = managedInFull
                    ? new ManagedObjectsCache.Taken(step == 0 ? 0 : managedVersion, step == 0 ? 0 : 1, managed, false,
                            managed.size(), 0, Set.of())
                    : new ManagedObjectsCache.Taken(managedVersion, 1, managed, true, changedIds.size(), since,
                            changedIds);

            Map<String, Object> root = new LinkedHashMap<>();
            root.put("appRoles", appRoles);
            root.put("users", users);
            root.put("groups", groups);
            root.put("assignments", assignments);
            Files.writeString(file, Json.write(root), StandardCharsets.UTF_8);
            Directory directory = source.read();
            Instant now = Instant.now();
            String cycleId = "c" + step;

            CyclePlanner.Planning planning = CyclePlanner.plan(memo, JOB, cycleId, full, scope, directory, snapshot,
                    generation, taken, now);
            CyclePlan reference = CyclePlanner.plan(JOB, cycleId, full, scope, directory, snapshot, managed, now);
            assertThat(planning.plan().events()).as("step %d", step).isEqualTo(reference.events());
            assertThat(planning.plan().snapshotUpserts()).as("step %d", step)
                    .isEqualTo(reference.snapshotUpserts());
            assertThat(planning.plan().snapshotNames()).as("step %d", step).isEqualTo(reference.snapshotNames());
            assertThat(planning.plan().snapshotRemovals()).as("step %d", step)
                    .isEqualTo(reference.snapshotRemovals());
            if (expectWalk) {
                assertThat(planning.incremental()).as("step %d walks every object", step).isFalse();
            } else if (!shifted) {
                assertThat(planning.incremental()).as("step %d plans from the memo", step).isTrue();
            }
            if (planning.incremental()) {
                fromMemo++;
            } else {
                walked++;
            }
            reference.events().stream().filter(e -> e.change() == ChangeKind.ADDED && e.objectType() == ObjectType.USER)
                    .forEach(e -> created.add(e.objectId()));
            if (doubt == 9) {
                // the cycle failed before it moved the snapshot: nothing kept
                memo = null;
                continue;
            }
            SnapshotRepository.mirror(snapshot, reference.snapshotUpserts(), reference.snapshotNames(),
                    reference.snapshotRemovals());
            generation++;
            memo = planning.memo() == null ? null : planning.memo().at(generation);
        }
        assertThat(fromMemo).isGreaterThan(150);
        assertThat(walked).isGreaterThan(20);
    }

    /**
     * A random batch of changes to the users and the groups' members.
     *
     * @return whether users were inserted or removed before the end (the users after them moved: the memo may not
     *         tell that many changes; a removed user's assignment leaves the read too)
     */
    private boolean changeUsersAndGroups(int step) {
        boolean shifted = false;
        int changes = random.nextInt(6);
        for (int k = 0; k < changes; k++) {
            switch (random.nextInt(7)) {
                case 0 -> users.get(random.nextInt(users.size())).put("displayName", "Renamed " + step + "." + k);
                case 1 -> users.get(random.nextInt(users.size())).put("deletedDateTime", "2026-12-02T00:00:00Z");
                case 2 -> {
                    Map<String, Object> u = user();
                    users.add(u);
                    addMember(id(u));
                }
                case 3 -> {
                    users.add(random.nextInt(users.size()), user());
                    shifted = true;
                }
                case 4 -> {
                    if (users.size() > 50) {
                        users.remove(random.nextInt(users.size()));
                        shifted = true;
                    }
                }
                case 5 -> addMember(id(users.get(random.nextInt(users.size()))));
                default -> {
                    @SuppressWarnings("unchecked")
                    List<String> members = (List<String>) groups.get(random.nextInt(groups.size())).get("members");
                    if (!members.isEmpty()) {
                        members.remove(random.nextInt(members.size()));
                    }
                }
            }
        }
        return shifted;
    }

    @SuppressWarnings("unchecked")
    private void addMember(String userId) {
        List<String> members = (List<String>) groups.get(random.nextInt(groups.size())).get("members");
        if (!members.contains(userId)) {
            members.add(userId);
        }
    }

    private Map<String, Object> user() {
        int i = nextUser++;
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("id", "user-" + i);
        u.put("userPrincipalName", "user." + i + "@tenant.example");
        u.put("displayName", "User " + i);
        u.put("accountEnabled", true);
        return u;
    }

    private static String id(Map<String, Object> user) {
        return (String) user.get("id");
    }
}
