package dev.provisioning.druva;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.provisioning.druva.ScimClient.Answer;

class ScimGroupsTest {

    private DruvaScimServer server;
    private ScimClient scim;

    @BeforeEach
    void start() {
        server = DruvaScimServer.start(DruvaScimServer.Options.defaults().token("secret"));
        scim = new ScimClient(server.baseUrl(), "secret");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private String createGroup(String displayName) {
        Answer created = scim.post("/Groups", "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],"
                + "\"displayName\":\"" + displayName + "\",\"externalId\":\"ext-" + displayName + "\"}");
        assertThat(created.status()).isEqualTo(201);
        return created.body().get("id").asText();
    }

    @Test
    void groupIsCreatedWithoutMembersAndFoundByDisplayNameOrExternalId() {
        String id = createGroup("Engineering");

        Answer read = scim.get("/Groups/" + id);
        Answer byName = scim.get("/Groups?filter="
                + URLEncoder.encode("displayName eq \"Engineering\"", StandardCharsets.UTF_8));
        Answer byExternalId = scim.get("/Groups?filter="
                + URLEncoder.encode("externalId eq \"ext-Engineering\"", StandardCharsets.UTF_8));

        assertThat(read.status()).isEqualTo(200);
        assertThat(read.body().get("displayName").asText()).isEqualTo("Engineering");
        assertThat(read.body().get("members")).isEmpty();
        assertThat(byName.body().at("/Resources/0/id").asText()).isEqualTo(id);
        assertThat(byExternalId.body().get("totalResults").asInt()).isEqualTo(1);
        assertThat(server.groups()).singleElement().satisfies(group -> {
            assertThat(group.externalId()).isEqualTo("ext-Engineering");
            assertThat(group.memberIds()).isEmpty();
        });
    }

    @Test
    void membersAreAddedAndRemovedWith204() {
        String ada = scim.createUserId("ada@example.com");
        String alan = scim.createUserId("alan@example.com");
        String grace = scim.createUserId("grace@example.com");
        String group = createGroup("Engineering");

        Answer add = scim.patch("/Groups/" + group, ScimClient.patchOp("{\"op\":\"Add\",\"path\":\"members\","
                + "\"value\":[{\"value\":\"" + ada + "\"},{\"value\":\"" + alan + "\"},{\"value\":\"" + grace
                + "\"}]}"));

        assertThat(add.status()).isEqualTo(204);
        assertThat(add.raw().body()).isEmpty();
        assertThat(server.groups()).singleElement().extracting(DruvaGroup::memberIds)
                .satisfies(ids -> assertThat(ids).containsExactlyInAnyOrder(ada, alan, grace));

        Answer removeByValue = scim.patch("/Groups/" + group, ScimClient.patchOp(
                "{\"op\":\"Remove\",\"path\":\"members\",\"value\":[{\"value\":\"" + ada + "\"}]}"));
        Answer removeByFilter = scim.patch("/Groups/" + group, ScimClient.patchOp(
                "{\"op\":\"remove\",\"path\":\"members[value eq \\\"" + alan + "\\\"]\"}"));

        assertThat(removeByValue.status()).isEqualTo(204);
        assertThat(removeByFilter.status()).isEqualTo(204);
        assertThat(server.groups()).singleElement().extracting(DruvaGroup::memberIds)
                .satisfies(ids -> assertThat(ids).containsExactly(grace));
        assertThat(scim.get("/Groups/" + group).body().at("/members/0/value").asText()).isEqualTo(grace);
        assertThat(scim.get("/Groups/" + group + "?excludedAttributes=members").body().has("members")).isFalse();
    }

    @Test
    void displayNameIsReplaced() {
        String group = createGroup("Engineering");

        Answer answer = scim.patch("/Groups/" + group, ScimClient.patchOp(
                "{\"op\":\"Replace\",\"path\":\"displayName\",\"value\":\"R&D\"}"));

        assertThat(answer.status()).isEqualTo(204);
        assertThat(server.groups()).singleElement().extracting(DruvaGroup::displayName).isEqualTo("R&D");
    }

    @Test
    void addingAMemberThatIsNotAUserIs400AndChangesNothing() {
        String ada = scim.createUserId("ada@example.com");
        String group = createGroup("Engineering");

        Answer answer = scim.patch("/Groups/" + group, ScimClient.patchOp("{\"op\":\"Add\",\"path\":\"members\","
                + "\"value\":[{\"value\":\"" + ada + "\"},{\"value\":\"no-such-user\"}]}"));

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.body().get("schemas").get(0).asText())
                .isEqualTo("urn:ietf:params:scim:api:messages:2.0:Error");
        assertThat(server.groups()).singleElement().extracting(DruvaGroup::memberIds)
                .satisfies(ids -> assertThat(ids).isEmpty());
    }

    @Test
    void deletingAUserRemovesItFromItsGroups() {
        String ada = scim.createUserId("ada@example.com");
        String group = createGroup("Engineering");
        scim.patch("/Groups/" + group, ScimClient.patchOp(
                "{\"op\":\"Add\",\"path\":\"members\",\"value\":[{\"value\":\"" + ada + "\"}]}"));

        scim.delete("/Users/" + ada);

        assertThat(server.groups()).singleElement().extracting(DruvaGroup::memberIds)
                .satisfies(ids -> assertThat(ids).isEmpty());
    }

    @Test
    void deletedGroupIsGoneWith404() {
        String group = createGroup("Engineering");

        assertThat(scim.delete("/Groups/" + group).status()).isEqualTo(204);
        assertThat(scim.get("/Groups/" + group).status()).isEqualTo(404);
        assertThat(server.groups()).isEmpty();
    }
}
