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
    static final Decision UPSERT = new Decision.Upsert(Map.of("userName", "x"), Map.of(), List.of());

    @Test
    void moreManagedDisablesThanTheThresholdAreAllHeld() {
        List<AssignmentEvent> events = events(600);
        events.add(event("new-user"));
        Set<String> managed = ids(600);

        DeletionGuard.Split split = DeletionGuard.split(events, 500, managed,
                e -> e.objectId().equals("new-user") ? UPSERT : DISABLE);

        assertThat(split.held()).hasSize(600);
        assertThat(split.emit()).extracting(AssignmentEvent::objectId).containsExactly("new-user");
    }

    @Test
    void upToTheThresholdEverythingIsEmitted() {
        DeletionGuard.Split split = DeletionGuard.split(events(500), 500, ids(500), e -> DISABLE);

        assertThat(split.held()).isEmpty();
        assertThat(split.emit()).hasSize(500);
    }

    @Test
    void disablesOfObjectsTheJobNeverProvisionedDoNotCount() {
        DeletionGuard.Split split = DeletionGuard.split(events(600), 500, ids(100), e -> DISABLE);

        assertThat(split.held()).isEmpty();
        assertThat(split.emit()).hasSize(600);
    }

    @Test
    void aThresholdOfZeroIsOff() {
        DeletionGuard.Split split = DeletionGuard.split(events(600), 0, ids(600), e -> DISABLE);

        assertThat(split.held()).isEmpty();
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
