package dev.provisioning.detector.cycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.provisioning.detector.source.Directory;
import dev.provisioning.detector.source.Directory.PrincipalType;
import dev.provisioning.detector.source.Directory.SourceAssignment;
import dev.provisioning.detector.source.Directory.SourceUser;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.job.ProvisioningScope;

class CyclePlannerTest {

    static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

    @Test
    void initialCycleEmitsEveryAssignedUserAndNoUnassignedOne() {
        Directory directory = directory(Map.of("u1", "Ann", "u2", "Bob"), List.of("u1"));

        CyclePlan plan = CyclePlanner.plan("job", "c1", true, ProvisioningScope.ASSIGNED_ONLY, directory, Map.of(),
                NOW);

        assertThat(plan.events()).extracting(AssignmentEvent::objectId).containsExactly("u1");
        assertThat(plan.events().get(0).change()).isEqualTo(ChangeKind.ADDED);
        assertThat(plan.snapshotUpserts()).containsOnlyKeys("u1");
    }

    @Test
    void scopeAllEmitsUnassignedUsersToo() {
        Directory directory = directory(Map.of("u1", "Ann", "u2", "Bob"), List.of("u1"));

        CyclePlan plan = CyclePlanner.plan("job", "c1", true, ProvisioningScope.ALL, directory, Map.of(), NOW);

        assertThat(plan.events()).extracting(AssignmentEvent::objectId).containsExactlyInAnyOrder("u1", "u2");
    }

    @Test
    void incrementalCycleEmitsOnlyChangedUnassignedAndDeletedUsers() {
        Directory before = directory(Map.of("u1", "Ann", "u2", "Bob", "u3", "Cy"), List.of("u1", "u2", "u3"));
        Map<String, String> snapshot = new HashMap<>(
                CyclePlanner.plan("job", "c1", true, ProvisioningScope.ASSIGNED_ONLY, before, Map.of(), NOW)
                        .snapshotUpserts());
        snapshot.put("gone", "somehash");
        // u1 unchanged, u2 renamed, u3 unassigned, u4 new, "gone" deleted from the source
        Directory after = directory(Map.of("u1", "Ann", "u2", "Bobby", "u3", "Cy", "u4", "Dee"),
                List.of("u1", "u2", "u4"));

        CyclePlan plan = CyclePlanner.plan("job", "c2", false, ProvisioningScope.ASSIGNED_ONLY, after, snapshot, NOW);

        Map<String, ChangeKind> changes = new HashMap<>();
        plan.events().forEach(e -> changes.put(e.objectId(), e.change()));
        assertThat(changes)
                .containsExactlyInAnyOrderEntriesOf(Map.of("u2", ChangeKind.UPDATED, "u3", ChangeKind.UPDATED,
                        "u4", ChangeKind.ADDED, "gone", ChangeKind.HARD_DELETED));
        assertThat(
                plan.events().stream().filter(e -> e.objectId().equals("u3")).findFirst().orElseThrow().assignments())
                .isEmpty();
        assertThat(plan.snapshotRemovals()).containsExactly("gone");
        assertThat(plan.snapshotUpserts()).containsOnlyKeys("u2", "u3", "u4");
    }

    @Test
    void eventIdsAreStablePerCycleAndObject() {
        assertThat(CyclePlanner.eventId("c1", "u1")).isEqualTo(CyclePlanner.eventId("c1", "u1"))
                .isNotEqualTo(CyclePlanner.eventId("c2", "u1"));
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
