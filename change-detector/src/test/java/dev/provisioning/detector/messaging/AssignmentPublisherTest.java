package dev.provisioning.detector.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.Topics;

/** The record limit of {@code provisioning.assignments}: large groups fit, a group over the limit is named. */
class AssignmentPublisherTest {

    @Test
    void aGroupOfFiftyThousandMembersFitsTheTopicsRecordLimit() {
        String json = AssignmentPublisher.checkedJson(group(50_000));
        assertThat(json.getBytes(StandardCharsets.UTF_8).length).isGreaterThan(1024 * 1024)
                .isLessThan(Topics.MAX_RECORD_BYTES);
    }

    @Test
    void aGroupOverTheLimitIsRefusedWithItsNameCountAndTheLimit() {
        assertThatThrownBy(() -> AssignmentPublisher.checkedJson(group(450_000)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("group 'Everyone' (g-everyone) with 450000 direct members")
                .hasMessageContaining("over the " + Topics.MAX_RECORD_BYTES + "-byte record limit of "
                        + Topics.ASSIGNMENTS);
    }

    private static AssignmentEvent group(int members) {
        List<String> ids = IntStream.range(0, members).mapToObj(i -> UUID.randomUUID().toString()).toList();
        return new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, "e1", "job-1", "cycle-1", true, ObjectType.GROUP,
                "g-everyone", ChangeKind.ADDED, Map.of("displayName", "Everyone"), List.of(), ids, Instant.now());
    }
}
