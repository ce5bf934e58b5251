package dev.provisioning.detector.source.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.detector.source.Directory;
import dev.provisioning.events.Json;

class GraphMirrorTest {

    static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");

    @Test
    void aReplayedDeltaLeavesTheSameState() {
        GraphMirror mirror = GraphMirror.empty();
        JsonNode user = json("{\"id\":\"u1\",\"mail\":\"a@x.test\",\"accountEnabled\":true}");
        JsonNode soft = json("{\"id\":\"u1\",\"@removed\":{\"reason\":\"changed\"}}");

        mirror.applyUser(user, NOW);
        mirror.applyUser(soft, NOW);
        mirror.applyUser(soft, NOW.plusSeconds(60));

        assertThat(mirror.users().get("u1")).containsEntry("deletedDateTime", NOW.toString())
                .containsEntry("mail", "a@x.test");
    }

    @Test
    void aMinimalItemMergesAndANullClearsAnAttribute() {
        GraphMirror mirror = GraphMirror.empty();
        mirror.applyUser(json("{\"id\":\"u1\",\"mail\":\"a@x.test\",\"jobTitle\":\"Dev\",\"givenName\":\"Ann\"}"),
                NOW);

        mirror.applyUser(json("{\"id\":\"u1\",\"jobTitle\":null,\"givenName\":\"Anne\"}"), NOW);

        assertThat(mirror.users().get("u1")).containsEntry("mail", "a@x.test").containsEntry("givenName", "Anne")
                .doesNotContainKey("jobTitle");
    }

    @Test
    void aHardDeleteForgetsTheUserAndIsRecordedForTheStore() {
        GraphMirror mirror = new GraphMirror(
                java.util.Map.of("u1", new java.util.HashMap<>(java.util.Map.of("id", "u1"))), java.util.Map.of());

        mirror.applyUser(json("{\"id\":\"u1\",\"@removed\":{\"reason\":\"deleted\"}}"), NOW);

        assertThat(mirror.users()).isEmpty();
        assertThat(mirror.removedUsers()).containsExactly("u1");
        assertThat(mirror.changedUsers()).isEmpty();
    }

    @Test
    void groupItemsSplitOverPagesMergeAndOnlyUserMembersCount() {
        GraphMirror mirror = GraphMirror.empty();
        mirror.applyGroup(json("{\"id\":\"g1\",\"displayName\":\"Sales\",\"members@delta\":["
                + "{\"@odata.type\":\"#microsoft.graph.user\",\"id\":\"u1\"},"
                + "{\"@odata.type\":\"#microsoft.graph.group\",\"id\":\"g2\"}]}"));
        mirror.applyGroup(json("{\"id\":\"g1\",\"displayName\":\"Sales\",\"members@delta\":["
                + "{\"@odata.type\":\"#microsoft.graph.user\",\"id\":\"u2\"}]}"));
        mirror.applyGroup(json("{\"id\":\"g1\",\"members@delta\":["
                + "{\"@odata.type\":\"#microsoft.graph.user\",\"id\":\"u1\",\"@removed\":{\"reason\":\"deleted\"}}]}"));

        assertThat(mirror.groups().get("g1").displayName()).isEqualTo("Sales");
        assertThat(mirror.groups().get("g1").members()).containsExactly("u2");
    }

    @Test
    void assignmentsOfUnknownPrincipalsReachNobody() {
        GraphMirror mirror = GraphMirror.empty();
        mirror.applyUser(json("{\"id\":\"u1\"}"), NOW);
        mirror.applyGroup(json("{\"id\":\"g1\",\"displayName\":\"Sales\"}"));

        Directory directory = mirror.toDirectory(List.of(
                new Directory.SourceAssignment("u1", Directory.PrincipalType.User, "r"),
                new Directory.SourceAssignment("gone", Directory.PrincipalType.User, "r"),
                new Directory.SourceAssignment("g1", Directory.PrincipalType.Group, "r"),
                new Directory.SourceAssignment("g-gone", Directory.PrincipalType.Group, "r")), java.util.Map.of(),
                List.of());

        assertThat(directory.assignments()).extracting(Directory.SourceAssignment::principalId)
                .containsExactly("u1", "g1");
    }

    private static JsonNode json(String text) {
        try {
            return Json.mapper().readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
