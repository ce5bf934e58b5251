package dev.provisioning.writer.scim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.events.Json;

class AttributeDiffTest {

    @Test
    void onlyChangedUpdatableAttributesAreReported() {
        Map<String, Object> current = UserState.normalize(Map.of("userName", "ada@example.com",
                "name.familyName", "Byron", "name.givenName", "Ada", "active", true));
        Map<String, Object> desired = UserState.normalize(Map.of("userName", "ada.l@example.com",
                "name.familyName", "Lovelace", "name.givenName", "Ada", "active", "True"));

        assertThat(AttributeDiff.diff(desired, current, ScimPaths.DRUVA_UPDATABLE))
                .containsExactly(new AttributeChange("name.familyName", "Byron", "Lovelace"));
    }

    @Test
    void identicalStatesGiveAnEmptyDiff() {
        Map<String, Object> state = UserState.normalize(Map.of("displayName", "Ada", "active", "False"));

        assertThat(AttributeDiff.diff(state, Map.of("displayName", "Ada", "active", false), ScimPaths.DRUVA_UPDATABLE))
                .isEmpty();
    }

    @Test
    void aResourceReadFromTheTargetFlattensToMapperPaths() throws Exception {
        JsonNode resource = Json.mapper().readTree("{\"id\":\"1\",\"userName\":\"ada@example.com\",\"active\":true,"
                + "\"name\":{\"givenName\":\"Ada\",\"familyName\":\"Lovelace\"},"
                + "\"emails\":[{\"type\":\"home\",\"value\":\"h@x\"},{\"type\":\"work\",\"value\":\"ada@example.com\"}]}");

        assertThat(UserState.fromResource(resource)).containsEntry("userName", "ada@example.com")
                .containsEntry("active", true)
                .containsEntry("name.givenName", "Ada")
                .containsEntry("name.familyName", "Lovelace")
                .containsEntry("emails[type eq \"work\"].value", "ada@example.com");
    }
}
