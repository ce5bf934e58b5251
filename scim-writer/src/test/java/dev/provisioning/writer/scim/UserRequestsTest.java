package dev.provisioning.writer.scim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.job.PatchDialect;

class UserRequestsTest {

    @Test
    void createBodyHasEntrasShapeAndOrder() {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("userName", "ada@example.com");
        attributes.put("emails[type eq \"work\"].value", "ada@example.com");
        attributes.put("name.givenName", "Ada");
        attributes.put("name.familyName", "Lovelace");
        attributes.put("displayName", "Ada Lovelace");
        attributes.put("externalId", "ada");
        attributes.put("active", "True");

        String body = UserRequests.createBody(UserState.normalize(attributes));

        assertThat(body).isEqualTo("{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
                + "\"externalId\":\"ada\",\"userName\":\"ada@example.com\",\"active\":true,"
                + "\"displayName\":\"Ada Lovelace\","
                + "\"emails\":[{\"primary\":true,\"type\":\"work\",\"value\":\"ada@example.com\"}],"
                + "\"name\":{\"givenName\":\"Ada\",\"familyName\":\"Lovelace\",\"formatted\":\"Ada Lovelace\"}}");
    }

    @Test
    void createBodyNeverSendsNulls() {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("userName", "bob@example.com");
        attributes.put("name.familyName", "Builder");
        attributes.put("title", "Engineer");

        String body = UserRequests.createBody(UserState.normalize(attributes));

        assertThat(body).isEqualTo("{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
                + "\"userName\":\"bob@example.com\",\"active\":true,"
                + "\"name\":{\"familyName\":\"Builder\",\"formatted\":\"Builder\"},\"title\":\"Engineer\"}");
        assertThat(body).doesNotContain("null");
    }

    @Test
    void patchInEntraDialectCapitalisesOpsAndSendsBooleansAsStrings() {
        String body = UserRequests.patchBody(List.of(
                new AttributeChange("name.familyName", "Byron", "Lovelace"),
                new AttributeChange("active", true, false)), PatchDialect.ENTRA);

        assertThat(body).isEqualTo("{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
                + "\"Operations\":[{\"op\":\"Replace\",\"path\":\"name.familyName\",\"value\":\"Lovelace\"},"
                + "{\"op\":\"Replace\",\"path\":\"active\",\"value\":\"False\"}]}");
    }

    @Test
    void patchInRfcStrictDialectUsesLowerCaseOpsAndJsonBooleans() {
        String body = UserRequests.patchBody(List.of(
                new AttributeChange("emails[type eq \"work\"].value", "a@x", "b@x"),
                new AttributeChange("active", false, true)), PatchDialect.RFC_STRICT);

        assertThat(body).isEqualTo("{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
                + "\"Operations\":[{\"op\":\"replace\",\"path\":\"emails[type eq \\\"work\\\"].value\",\"value\":\"b@x\"},"
                + "{\"op\":\"replace\",\"path\":\"active\",\"value\":true}]}");
    }

    @Test
    void filterEscapesQuotesAndBackslashes() {
        assertThat(UserRequests.filter("userName", "a\"b\\c@example.com"))
                .isEqualTo("userName eq \"a\\\"b\\\\c@example.com\"");
    }

    @Test
    void matchUriEncodesTheFilter() {
        assertThat(UserRequests.matchUri("userName", "ada+1@example.com"))
                .isEqualTo("/Users?filter=userName%20eq%20%22ada%2B1%40example.com%22");
    }
}
