package dev.provisioning.detector.cycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.persistence.SnapshotRepository.Snapshot;
import dev.provisioning.detector.source.Directory;
import dev.provisioning.detector.source.Directory.PrincipalType;
import dev.provisioning.detector.source.Directory.SourceAssignment;
import dev.provisioning.detector.source.Directory.SourceGroup;
import dev.provisioning.detector.source.Directory.SourceUser;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.job.ProvisioningScope;

class CyclePlannerTest {

    static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

    @Test
    void initialCycleEmitsEveryAssignedUserAndNoUnassignedOne() {
        Directory directory = directory(Map.of("u1", "Ann", "u2", "Bob"), List.of("u1"));

        CyclePlan plan = CyclePlanner.plan("job", "c1", true, ProvisioningScope.ASSIGNED_ONLY, directory,
                Snapshot.EMPTY,
                Map.of(), NOW);

        assertThat(plan.events()).extracting(AssignmentEvent::objectId).containsExactly("u1");
        assertThat(plan.events().get(0).change()).isEqualTo(ChangeKind.ADDED);
        assertThat(plan.snapshotUpserts().get(ObjectType.USER)).containsOnlyKeys("u1");
    }

    @Test
    void scopeAllEmitsUnassignedUsersToo() {
        Directory directory = directory(Map.of("u1", "Ann", "u2", "Bob"), List.of("u1"));

        CyclePlan plan = CyclePlanner.plan("job", "c1", true, ProvisioningScope.ALL, directory, Snapshot.EMPTY,
                Map.of(),
                NOW);

        assertThat(plan.events()).extracting(AssignmentEvent::objectId).containsExactlyInAnyOrder("u1", "u2");
    }

    @Test
    void incrementalCycleEmitsOnlyChangedUnassignedAndDeletedUsers() {
        Directory before = directory(Map.of("u1", "Ann", "u2", "Bob", "u3", "Cy"), List.of("u1", "u2", "u3"));
        Map<String, String> users = new HashMap<>(
                CyclePlanner.plan("job", "c1", true, ProvisioningScope.ASSIGNED_ONLY, before, Snapshot.EMPTY, Map.of(),
                        NOW).snapshotUpserts().get(ObjectType.USER));
        users.put("gone", "somehash");
        Snapshot snapshot = new Snapshot(users, Map.of());
        // u1 unchanged, u2 renamed, u3 unassigned, u4 new, "gone" deleted from the source
        Directory after = directory(Map.of("u1", "Ann", "u2", "Bobby", "u3", "Cy", "u4", "Dee"),
                List.of("u1", "u2", "u4"));

        CyclePlan plan = CyclePlanner.plan("job", "c2", false, ProvisioningScope.ASSIGNED_ONLY, after, snapshot,
                Map.of(), NOW);

        Map<String, ChangeKind> changes = new HashMap<>();
        plan.events().forEach(e -> changes.put(e.objectId(), e.change()));
        assertThat(changes)
                .containsExactlyInAnyOrderEntriesOf(Map.of("u2", ChangeKind.UPDATED, "u3", ChangeKind.UPDATED,
                        "u4", ChangeKind.ADDED, "gone", ChangeKind.HARD_DELETED));
        assertThat(
                plan.events().stream().filter(e -> e.objectId().equals("u3")).findFirst().orElseThrow().assignments())
                .isEmpty();
        // u2 was seen before but Druva does not hold it (its create failed): not in the target, so a failure of it
        // is logged as a Create, as Entra logs it
        assertThat(event(plan, "u2").inTarget()).isFalse();
        assertThat(plan.snapshotRemovals()).containsExactly("gone");
        assertThat(plan.snapshotUpserts().get(ObjectType.USER)).containsOnlyKeys("u2", "u3", "u4");
    }

    @Test
    void eventIdsAreStablePerCycleAndObject() {
        assertThat(Cycle.eventId("c1", "u1")).isEqualTo(Cycle.eventId("c1", "u1"))
                .isNotEqualTo(Cycle.eventId("c2", "u1"));
    }

    @Test
    void assignedGroupsAreEmittedWithTheirUserMembersAndUnassignedGroupsAreNot() {
        Directory directory = new Directory(users("u1", "u2", "u3"),
                List.of(new SourceGroup("g1", "Sales", List.of("u2", "u1", "nested-group")),
                        new SourceGroup("g2", "Unassigned", List.of("u3"))),
                List.of(new SourceAssignment("g1", PrincipalType.Group, "role")));

        CyclePlan plan = CyclePlanner.plan("job", "c1", true, ProvisioningScope.ASSIGNED_ONLY, directory,
                Snapshot.EMPTY, Map.of(), NOW);

        AssignmentEvent group = event(plan, "g1");
        assertThat(group.objectType()).isEqualTo(ObjectType.GROUP);
        assertThat(group.change()).isEqualTo(ChangeKind.ADDED);
        assertThat(group.attributes()).containsEntry("displayName", "Sales");
        assertThat(group.members()).containsExactly("u1", "u2");
        assertThat(group.assignments()).extracting(a -> a.appRoleId()).containsExactly("role");
        assertThat(plan.events()).extracting(AssignmentEvent::objectId).containsExactlyInAnyOrder("u1", "u2", "g1");
        assertThat(plan.snapshotUpserts().get(ObjectType.GROUP)).containsOnlyKeys("g1");
    }

    @Test
    void aGroupIsSentAgainOnceDruvaHoldsMoreOfItsMembers() {
        Directory directory = new Directory(users("u1", "u2"),
                List.of(new SourceGroup("g1", "Sales", List.of("u1", "u2"))),
                List.of(new SourceAssignment("g1", PrincipalType.Group, "role")));
        CyclePlan initial = CyclePlanner.plan("job", "c1", true, ProvisioningScope.ASSIGNED_ONLY, directory,
                Snapshot.EMPTY, Map.of(), NOW);
        Snapshot snapshot = new Snapshot(initial.snapshotUpserts().get(ObjectType.USER),
                initial.snapshotUpserts().get(ObjectType.GROUP));

        // nothing changed in the source and Druva holds no more members: nothing to do
        assertThat(CyclePlanner.plan("job", "c2", false, ProvisioningScope.ASSIGNED_ONLY, directory, snapshot,
                Map.of("g1", ObjectType.GROUP), NOW).events()).isEmpty();

        // the users were created: the group is sent again, with its members (the references step)
        CyclePlan followUp = CyclePlanner.plan("job", "c3", false, ProvisioningScope.ASSIGNED_ONLY, directory,
                snapshot, Map.of("u1", ObjectType.USER, "u2", ObjectType.USER, "g1", ObjectType.GROUP), NOW);
        assertThat(followUp.events()).extracting(AssignmentEvent::objectId).containsExactly("g1");
        assertThat(followUp.events().get(0).change()).isEqualTo(ChangeKind.UPDATED);
        assertThat(followUp.events().get(0).members()).containsExactly("u1", "u2");
    }

    @Test
    void unassignedAndDeletedGroupsProduceEvents() {
        Directory before = new Directory(users("u1"),
                List.of(new SourceGroup("g1", "Sales", List.of("u1")), new SourceGroup("g2", "Ops", List.of())),
                List.of(new SourceAssignment("g1", PrincipalType.Group, "role"),
                        new SourceAssignment("g2", PrincipalType.Group, "role")));
        CyclePlan initial = CyclePlanner.plan("job", "c1", true, ProvisioningScope.ASSIGNED_ONLY, before,
                Snapshot.EMPTY, Map.of(), NOW);
        Snapshot snapshot = new Snapshot(initial.snapshotUpserts().get(ObjectType.USER),
                initial.snapshotUpserts().get(ObjectType.GROUP));
        // g1 is unassigned (its member u1 with it), g2 is deleted
        Directory after = new Directory(users("u1"), List.of(new SourceGroup("g1", "Sales", List.of("u1"))),
                List.of());

        CyclePlan plan = CyclePlanner.plan("job", "c2", false, ProvisioningScope.ASSIGNED_ONLY, after, snapshot,
                Map.of(), NOW);

        assertThat(event(plan, "g1").assignments()).isEmpty();
        assertThat(event(plan, "g1").objectType()).isEqualTo(ObjectType.GROUP);
        assertThat(event(plan, "g2").change()).isEqualTo(ChangeKind.HARD_DELETED);
        assertThat(event(plan, "g2").objectType()).isEqualTo(ObjectType.GROUP);
        assertThat(event(plan, "u1").assignments()).isEmpty();
        assertThat(plan.snapshotRemovals()).containsExactly("g2");
    }

    @Test
    void aFullCycleAfterTheSnapshotWasClearedStillDeprovisionsWhatDruvaHolds() {
        // restart with scope Full: no snapshot; Druva holds u1 (now unassigned), u2 (gone from the source) and g9 (gone)
        Directory directory = directory(Map.of("u1", "Ann", "u3", "Cy"), List.of("u3"));

        CyclePlan plan = CyclePlanner.plan("job", "c1", true, ProvisioningScope.ASSIGNED_ONLY, directory,
                Snapshot.EMPTY, Map.of("u1", ObjectType.USER, "u2", ObjectType.USER, "g9", ObjectType.GROUP), NOW);

        assertThat(event(plan, "u1").change()).isEqualTo(ChangeKind.UPDATED);
        assertThat(event(plan, "u1").assignments()).isEmpty();
        assertThat(event(plan, "u2").change()).isEqualTo(ChangeKind.HARD_DELETED);
        assertThat(event(plan, "g9").change()).isEqualTo(ChangeKind.HARD_DELETED);
        assertThat(event(plan, "g9").objectType()).isEqualTo(ObjectType.GROUP);
        assertThat(event(plan, "u3").change()).isEqualTo(ChangeKind.ADDED);
        // each event says whether Druva holds the object, which names a failure's action as Entra's matching would
        assertThat(event(plan, "u1").inTarget()).isTrue();
        assertThat(event(plan, "u3").inTarget()).isFalse();
        // an incremental cycle does not delete again what it did not see leave
        assertThat(CyclePlanner.plan("job", "c2", false, ProvisioningScope.ASSIGNED_ONLY, directory,
                new Snapshot(plan.snapshotUpserts().get(ObjectType.USER), Map.of()),
                Map.of("u1", ObjectType.USER, "u2", ObjectType.USER), NOW).events()).isEmpty();
    }

    @Test
    void anObjectGoneFromTheSourceIsNamedByTheNameItLastHad() {
        // issue 14 item 6: Entra's log names a deleted user; the snapshot keeps each object's name with its state
        Directory before = new Directory(
                List.of(new SourceUser("u1", Map.of("displayName", "Ann Lee", "accountEnabled", true)),
                        new SourceUser("u2", Map.of("userPrincipalName", "bob@x.test", "accountEnabled", true))),
                List.of(new SourceGroup("g1", "Sales", List.of("u1"))),
                List.of(new SourceAssignment("u1", PrincipalType.User, "role"),
                        new SourceAssignment("u2", PrincipalType.User, "role"),
                        new SourceAssignment("g1", PrincipalType.Group, "role")));
        CyclePlan initial = CyclePlanner.plan("job", "c1", true, ProvisioningScope.ASSIGNED_ONLY, before,
                Snapshot.EMPTY, Map.of(), NOW);
        // a user without displayName is named by its userPrincipalName, as the log names it while it exists
        assertThat(initial.snapshotNames()).containsExactlyInAnyOrderEntriesOf(
                Map.of("u1", "Ann Lee", "u2", "bob@x.test", "g1", "Sales"));
        Snapshot snapshot = new Snapshot(initial.snapshotUpserts().get(ObjectType.USER),
                initial.snapshotUpserts().get(ObjectType.GROUP), initial.snapshotNames());

        // every object is hard-deleted, and one more that Druva holds and the cleared snapshot never named
        CyclePlan gone = CyclePlanner.plan("job", "c2", true, ProvisioningScope.ASSIGNED_ONLY,
                new Directory(List.of(), List.of(), List.of()), snapshot, Map.of("u9", ObjectType.USER), NOW);

        assertThat(gone.events()).allSatisfy(e -> assertThat(e.change()).isEqualTo(ChangeKind.HARD_DELETED));
        assertThat(event(gone, "u1").displayName()).isEqualTo("Ann Lee");
        assertThat(event(gone, "u1").attributes()).containsOnlyKeys("displayName");
        assertThat(event(gone, "u2").displayName()).isEqualTo("bob@x.test");
        assertThat(event(gone, "g1").displayName()).isEqualTo("Sales");
        // unknown here: the provisioning log names it from what Druva was last sent (ProvisioningLogRepository)
        assertThat(event(gone, "u9").attributes()).isEmpty();
        assertThat(gone.snapshotNames()).isEmpty();
    }

    private static AssignmentEvent event(CyclePlan plan, String objectId) {
        return plan.events().stream().filter(e -> e.objectId().equals(objectId)).findFirst().orElseThrow();
    }

    private static List<SourceUser> users(String... ids) {
        return java.util.Arrays.stream(ids)
                .map(id -> new SourceUser(id, Map.of("displayName", id, "accountEnabled", true))).toList();
    }

    private static Directory directory(Map<String, String> names, List<String> assigned) {
        List<SourceUser> users = names.entrySet().stream()
                .map(e -> new SourceUser(e.getKey(), Map.of("displayName", e.getValue(), "accountEnabled", true)))
                .toList();
        List<SourceAssignment> assignments = assigned.stream()
                .map(id -> new SourceAssignment(id, PrincipalType.User, "role")).toList();
        return new Directory(users, List.of(), assignments);
    }
}
