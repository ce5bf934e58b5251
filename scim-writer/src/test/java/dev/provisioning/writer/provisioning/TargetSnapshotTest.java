package dev.provisioning.writer.provisioning;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.events.Json;

/** The bulk-match snapshot keeps users as text and gives back the same resources on a hit. */
class TargetSnapshotTest {

    private static JsonNode user(String id, String userName, String externalId) {
        String external = externalId == null ? "" : ",\"externalId\":\"" + externalId + "\"";
        return Json.read("{\"id\":\"" + id + "\",\"userName\":\"" + userName + "\",\"name\":{\"givenName\":\"Ann\"},"
                + "\"emails\":[{\"value\":\"" + userName + "\",\"primary\":true}],\"active\":true" + external + "}",
                JsonNode.class);
    }

    @Test
    void aUserIsFoundByUserNameIgnoringCaseAndByExternalIdWithAllItsAttributes() {
        TargetSnapshot snapshot = new TargetSnapshot();
        JsonNode ann = user("d-1", "Ann@Example.com", "ext-1");
        snapshot.add(ann);
        snapshot.add(user("d-2", "bob@example.com", null));

        assertThat(snapshot.find("userName", "ann@example.COM")).containsExactly(ann);
        assertThat(snapshot.find("externalId", "ext-1")).containsExactly(ann);
        assertThat(snapshot.find("externalId", "EXT-1")).isEmpty();
        assertThat(snapshot.find("userName", "carol@example.com")).isEmpty();
        assertThat(snapshot.size()).isEqualTo(2);
    }

    @Test
    void aCreatedUserIsNotAnsweredFromTheSnapshotSoItIsMatchedWithAGetAndNotCreatedTwice() {
        TargetSnapshot snapshot = new TargetSnapshot();
        snapshot.add(user("d-1", "ann@example.com", "ext-1"));
        snapshot.created(Json.read("{ \"id\": \"d-9\", \"userName\": \"New@Example.com\", "
                + "\"externalId\": \"ext-9\", \"active\": true }", JsonNode.class));

        assertThat(snapshot.find("userName", "new@example.com")).isNull();
        assertThat(snapshot.find("userName", "NEW@EXAMPLE.COM")).isNull();
        assertThat(snapshot.find("externalId", "ext-9")).isNull();
        // externalId is compared as it is, and the other users are still answered from the snapshot
        assertThat(snapshot.find("externalId", "EXT-9")).isEmpty();
        assertThat(snapshot.find("userName", "ann@example.com")).extracting(u -> u.path("id").asText())
                .containsExactly("d-1");
        assertThat(snapshot.find("userName", "other@example.com")).isEmpty();
        // a created user is marked, not kept: the snapshot holds the paged users only
        assertThat(snapshot.size()).isOne();
    }

    @Test
    void aUserCreatedWithTheNameOfAPagedUserIsMatchedWithAGet() {
        TargetSnapshot snapshot = new TargetSnapshot();
        snapshot.add(user("d-1", "ann@example.com", null));
        snapshot.created(user("d-2", "Ann@example.com", null));

        assertThat(snapshot.find("userName", "ann@example.com")).isNull();
    }

    @Test
    void everyUserOfADuplicateNameIsFound() {
        TargetSnapshot snapshot = new TargetSnapshot();
        snapshot.add(user("d-1", "dup@example.com", null));
        snapshot.add(user("d-2", "DUP@example.com", null));

        assertThat(snapshot.find("userName", "dup@example.com")).extracting(node -> node.path("id").asText())
                .containsExactly("d-1", "d-2");
    }

    @Test
    void anAttributeItDoesNotIndexIsNotAnswered() {
        TargetSnapshot snapshot = new TargetSnapshot();
        snapshot.add(user("d-1", "ann@example.com", null));

        assertThat(snapshot.find("emails[type eq \"work\"].value", "ann@example.com")).isNull();
    }

    @Test
    void aHitIsAFreshTreeThatACallerCannotChangeInTheSnapshot() {
        TargetSnapshot snapshot = new TargetSnapshot();
        snapshot.add(user("d-1", "ann@example.com", null));

        ((com.fasterxml.jackson.databind.node.ObjectNode) snapshot.find("userName", "ann@example.com").get(0))
                .put("id", "changed");

        assertThat(snapshot.find("userName", "ann@example.com").get(0).path("id").asText()).isEqualTo("d-1");
    }
}
