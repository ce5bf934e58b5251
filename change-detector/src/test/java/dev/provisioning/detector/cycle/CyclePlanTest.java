package dev.provisioning.detector.cycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.provisioning.detector.persistence.SnapshotRepository.Snapshot;
import dev.provisioning.detector.source.Directory;
import dev.provisioning.detector.source.Directory.PrincipalType;
import dev.provisioning.detector.source.Directory.SourceAssignment;
import dev.provisioning.detector.source.Directory.SourceUser;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.job.ProvisioningScope;

/**
 * Issue 13 (G2): a plan holds one item per changed user, not its event; the event is built when the cycle sends it (or
 * the deletion guard asks the mapping engine about it), the same event every time.
 */
class CyclePlanTest {

    static final Instant NOW = Instant.parse("2026-12-02T08:00:00Z");

    @Test
    void aPlannedUsersEventIsBuiltWhenAskedAndIsTheSameEventEveryTime() {
        Directory directory = new Directory(
                List.of(new SourceUser("u1", Map.of("displayName", "Ann", "accountEnabled", true)),
                        new SourceUser("u2", Map.of("displayName", "Bob", "deletedDateTime", "2026-12-01T00:00:00Z"))),
                List.of(), List.of(new SourceAssignment("u1", PrincipalType.User, "role"),
                        new SourceAssignment("u2", PrincipalType.User, "role")));

        CyclePlan plan = CyclePlanner.plan("job", "c1", false, ProvisioningScope.ASSIGNED_ONLY, directory,
                Snapshot.EMPTY, Map.of("u1", ObjectType.USER), NOW);

        assertThat(plan.planned()).extracting(CyclePlan.Planned::objectId).containsExactly("u1", "u2");
        assertThat(plan.planned()).extracting(CyclePlan.Planned::objectType).containsOnly(ObjectType.USER);
        CyclePlan.Planned u1 = plan.planned().get(0);
        AssignmentEvent first = u1.event().get();
        AssignmentEvent again = u1.event().get();
        // built anew on each ask (the plan does not hold it), equal each time (same event id and time)
        assertThat(again).isEqualTo(first).isNotSameAs(first);
        assertThat(first.change()).isEqualTo(ChangeKind.UPDATED);
        assertThat(first.assignments()).hasSize(1);
        assertThat(first.observedAt()).isEqualTo(NOW);
        assertThat(plan.planned().get(1).event().get().change()).isEqualTo(ChangeKind.SOFT_DELETED);
        assertThat(plan.events()).containsExactly(first, plan.planned().get(1).event().get());
    }

    @Test
    void aPlanWithoutSomeObjectsNeitherSendsThemNorMovesTheirSnapshot() {
        CyclePlan plan = new CyclePlan(
                List.of(new CyclePlan.Planned(ObjectType.USER, "u1", () -> null),
                        new CyclePlan.Planned(ObjectType.GROUP, "g1", () -> null),
                        new CyclePlan.Planned(ObjectType.GROUP, "g2", () -> null)),
                Map.of(ObjectType.USER, Map.of("u1", "h1"), ObjectType.GROUP, Map.of("g1", "h2")),
                Map.of("u1", "Ann", "g1", "Team"), java.util.Set.of("g2"));

        CyclePlan rest = plan.without(java.util.Set.of("g1", "g2"));

        assertThat(rest.planned()).extracting(CyclePlan.Planned::objectId).containsExactly("u1");
        assertThat(rest.snapshotUpserts()).containsEntry(ObjectType.USER, Map.of("u1", "h1"))
                .containsEntry(ObjectType.GROUP, Map.of());
        assertThat(rest.snapshotNames()).containsOnlyKeys("u1");
        assertThat(rest.snapshotRemovals()).isEmpty();
        assertThat(plan.without(java.util.Set.of())).isSameAs(plan);
    }
}
