package dev.provisioning.detector.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.ObjectType;
import dev.provisioning.mapping.Decision;

class DeletionGuardTest {

    static final Decision DISABLE = new Decision.Disable("NotEffectivelyEntitled", "unassigned");
    static final DeletionThreshold COUNT_ONLY = new DeletionThreshold(500, 0);
    static final Decision UPSERT = new Decision.Upsert(Map.of("userName", "x"), Map.of(), List.of());

    @Test
    void moreManagedDisablesThanTheThresholdAreAllHeld() {
        List<AssignmentEvent> events = events(600);
        events.add(event("new-user"));
        Set<String> managed = ids(600);

        DeletionGuard.Split split = DeletionGuard.split(events, COUNT_ONLY, managed,
                e -> e.objectId().equals("new-user") ? UPSERT : DISABLE);

        assertThat(split.held()).hasSize(600);
        assertThat(split.emit()).extracting(AssignmentEvent::objectId).containsExactly("new-user");
    }

    @Test
    void upToTheThresholdEverythingIsEmitted() {
        DeletionGuard.Split split = DeletionGuard.split(events(500), COUNT_ONLY, ids(500), e -> DISABLE);

        assertThat(split.held()).isEmpty();
        assertThat(split.emit()).hasSize(500);
    }

    @Test
    void disablesOfObjectsTheJobNeverProvisionedDoNotCount() {
        DeletionGuard.Split split = DeletionGuard.split(events(600), COUNT_ONLY, ids(100), e -> DISABLE);

        assertThat(split.held()).isEmpty();
        assertThat(split.emit()).hasSize(600);
    }

    @Test
    void aThresholdOfZeroIsOff() {
        DeletionGuard.Split split = DeletionGuard.split(events(600), new DeletionThreshold(0, 0), ids(600),
                e -> DISABLE);

        assertThat(split.held()).isEmpty();
    }

    @Test
    void aShareOfTheManagedObjectsTripsBeforeTheCountAndEitherLimitAlone() {
        // 245 of the 320 objects a job manages are unassigned at once: under Entra's 500, over Okta's 20 %
        DeletionGuard.Split split = DeletionGuard.split(events(245), DeletionThreshold.DEFAULT, ids(320),
                e -> DISABLE);
        assertThat(split.held()).hasSize(245);
        assertThat(split.reason()).hasValueSatisfying(r -> assertThat(r).contains("245", "76.6 %", "320", "20 %"));

        // 64 of 320 is exactly 20 %: allowed; 65 is not
        assertThat(DeletionGuard.split(events(64), DeletionThreshold.DEFAULT, ids(320), e -> DISABLE).held())
                .isEmpty();
        assertThat(DeletionGuard.split(events(65), DeletionThreshold.DEFAULT, ids(320), e -> DISABLE).held())
                .hasSize(65);
        // the count trips first in a large job
        assertThat(DeletionGuard.split(events(501), DeletionThreshold.DEFAULT, ids(100_000), e -> DISABLE).reason())
                .hasValueSatisfying(r -> assertThat(r).contains("deletion threshold of 500"));
        // each limit can be turned off alone
        assertThat(DeletionGuard.split(events(245), new DeletionThreshold(500, 0), ids(320), e -> DISABLE).held())
                .isEmpty();
        assertThat(DeletionGuard.split(events(501), new DeletionThreshold(0, 20), ids(100_000), e -> DISABLE)
                .held()).isEmpty();
        // in a job managing 100 objects or fewer the share does not apply (Okta: apps with more than 100 users)
        assertThat(DeletionGuard.split(events(3), DeletionThreshold.DEFAULT, ids(10), e -> DISABLE).held()).isEmpty();
    }

    @Test
    void aReadWithNoUsersForAJobThatManagesUsersIsAFailedReadNotADeleteAll() {
        assertThat(DeletionGuard.emptyRead(0, 240)).hasValueSatisfying(r -> assertThat(r)
                .contains("no users", "240 users", "nothing was sent"));
        assertThat(DeletionGuard.emptyRead(0, 1)).hasValueSatisfying(r -> assertThat(r)
                .contains("manages 1 user in Druva"));
        assertThat(DeletionGuard.emptyRead(0, 0)).as("a new job, or one that manages nobody").isEmpty();
        assertThat(DeletionGuard.emptyRead(1, 240)).isEmpty();
    }

    @Test
    void theDefaultsAreEntrasCountAndOktasShareAndARequestKeepsTheDefaultOfWhatItLeavesOut() {
        assertThat(DeletionThreshold.DEFAULT).isEqualTo(new DeletionThreshold(500, 20));
        assertThat(DeletionThreshold.of(null, null)).isEqualTo(DeletionThreshold.DEFAULT);
        assertThat(DeletionThreshold.of(0, null)).isEqualTo(new DeletionThreshold(0, 20));
        assertThat(new DeletionThreshold(100, 10).with(null, 0)).isEqualTo(new DeletionThreshold(100, 0));
    }

    private static List<AssignmentEvent> events(int n) {
        List<AssignmentEvent> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            events.add(event("u" + i));
        }
        return events;
    }

    private static Set<String> ids(int n) {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < n; i++) {
            ids.add("u" + i);
        }
        return ids;
    }

    private static AssignmentEvent event(String id) {
        return new AssignmentEvent(1, "e-" + id, "job", "cycle", false, ObjectType.USER, id, ChangeKind.UPDATED,
                Map.of(), List.of(), List.of(), Instant.now());
    }
}
