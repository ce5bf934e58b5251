package dev.provisioning.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.Assignment;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.MatchingAttribute;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.TargetObjectActions;

class GroupDecisionTest {

    static final List<Assignment> ASSIGNED = List.of(new Assignment("role", null));

    @Test
    void anAssignedGroupIsUpsertedWithDisplayNameExternalIdAndMatchedOnDisplayName() {
        Decision d = job(TargetObjectActions.ALL).evaluateGroup(group(ChangeKind.ADDED, "Sales", ASSIGNED));

        assertThat(d).isEqualTo(new Decision.Upsert(Map.of("displayName", "Sales", "externalId", "g1"), Map.of(),
                List.of(new MatchingAttribute("displayName", "Sales", 1))));
    }

    @Test
    void anUnassignedOrDeletedGroupIsDeletedUnlessDeleteIsOff() {
        assertThat(job(TargetObjectActions.ALL).evaluateGroup(group(ChangeKind.UPDATED, "Sales", List.of())))
                .isInstanceOf(Decision.Delete.class);
        assertThat(job(TargetObjectActions.ALL).evaluateGroup(group(ChangeKind.HARD_DELETED, "Sales", ASSIGNED)))
                .isInstanceOf(Decision.Delete.class);
        assertThat(job(new TargetObjectActions(true, true, false))
                .evaluateGroup(group(ChangeKind.HARD_DELETED, "Sales", ASSIGNED)))
                .isEqualTo(new Decision.Skip(ProvisioningAction.Delete, "ActionDisabledByJob",
                        "deleted in the source, but the Delete action is off"));
    }

    @Test
    void aGroupAssignedOnlyWithDefaultAccessIsNotEffectivelyEntitledAndNotKept() {
        Decision d = job(TargetObjectActions.ALL).evaluateGroup(group(ChangeKind.UPDATED, "Sales",
                List.of(new Assignment(Assignment.DEFAULT_ACCESS, null))));

        assertThat(d).isEqualTo(new Decision.Delete("NotEffectivelyEntitled",
                "not effectively entitled: the only assignment is Default Access"));
        assertThat(job(TargetObjectActions.ALL).evaluate(group(ChangeKind.ADDED, "Sales", ASSIGNED)))
                .isInstanceOf(Decision.Upsert.class);
    }

    @Test
    void aGroupWithoutDisplayNameFailsWithMandatoryFieldsMissing() {
        Decision d = job(TargetObjectActions.ALL).evaluateGroup(group(ChangeKind.ADDED, null, ASSIGNED));

        assertThat(d).isInstanceOfSatisfying(Decision.Fail.class,
                f -> assertThat(f.errorCode()).isEqualTo("MandatoryFieldsMissing"));
    }

    private static CompiledJob job(TargetObjectActions actions) {
        return MappingEngine
                .compile(new JobConfig(1, "job", "Druva", JobState.ACTIVE, "https://x/scim", null, null, false,
                        null, true, null, actions, false, null, null, null, null, 1, Instant.EPOCH));
    }

    private static AssignmentEvent group(ChangeKind change, String name, List<Assignment> assignments) {
        Map<String, Object> attributes = name == null ? Map.of("id", "g1") : Map.of("id", "g1", "displayName", name);
        return new AssignmentEvent(1, "e", "job", "c", false, ObjectType.GROUP, "g1", change, attributes, assignments,
                List.of("u1", "u2"), Instant.EPOCH);
    }
}
