package dev.provisioning.druva;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.provisioning.druva.ScimClient.Answer;

class ScimUsersTest {

    private DruvaScimServer server;
    private ScimClient scim;

    @BeforeEach
    void start() {
        server = DruvaScimServer.start(DruvaScimServer.Options.defaults().port(0).token("secret"));
        scim = new ScimClient(server.baseUrl(), "secret");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void baseUrlIsTheTenantUrl() {
        assertThat(server.baseUrl()).isEqualTo("http://127.0.0.1:" + server.port() + "/insync/scim");
        assertThat(server.port()).isPositive();
        assertThat(server.settings().port()).isEqualTo(server.port());
    }

    @Test
    void requestsWithoutOrWithWrongTokenAre401WithScimError() {
        Answer missing = new ScimClient(server.baseUrl(), null).get("/Users");
        Answer wrong = new ScimClient(server.baseUrl(), "nope").get("/Users");

        for (Answer answer : new Answer[]{missing, wrong}) {
            assertThat(answer.status()).isEqualTo(401);
            assertThat(answer.header("Content-Type")).isEqualTo("application/scim+json");
            assertThat(answer.body().get("schemas").get(0).asText())
                    .isEqualTo("urn:ietf:params:scim:api:messages:2.0:Error");
            assertThat(answer.body().get("status").asText()).isEqualTo("401");
        }
    }

    @Test
    void serviceProviderConfigAdvertisesPatchAndFilterWithoutBulk() {
        Answer config = scim.get("/ServiceProviderConfig");

        assertThat(config.status()).isEqualTo(200);
        assertThat(config.body().at("/patch/supported").asBoolean()).isTrue();
        assertThat(config.body().at("/filter/maxResults").asInt()).isEqualTo(200);
        assertThat(config.body().at("/bulk/supported").asBoolean()).isFalse();
        assertThat(config.body().at("/authenticationSchemes/0/type").asText()).isEqualTo("oauthbearertoken");
    }

    @Test
    void createdUserCanBeReadAndMatchedByUserNameCaseInsensitively() {
        Answer created = scim.createUser("ada@example.com", "ada@example.com");

        assertThat(created.status()).isEqualTo(201);
        String id = created.body().get("id").asText();
        assertThat(created.body().at("/meta/resourceType").asText()).isEqualTo("User");
        assertThat(created.body().at("/meta/location").asText()).isEqualTo(server.baseUrl() + "/Users/" + id);
        assertThat(created.body().at("/urn:ietf:params:scim:schemas:extension:druva:2.0:User/status").asText())
                .isEqualTo("Active");

        Answer read = scim.get("/Users/" + id);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.body().get("userName").asText()).isEqualTo("ada@example.com");
        assertThat(read.body().at("/emails/0/value").asText()).isEqualTo("ada@example.com");
        assertThat(read.body().at("/name/familyName").asText()).isEqualTo("Lovelace");

        Answer match = scim.filterUsers("userName eq \"ADA@Example.com\"");
        assertThat(match.status()).isEqualTo(200);
        assertThat(match.body().get("schemas").get(0).asText())
                .isEqualTo("urn:ietf:params:scim:api:messages:2.0:ListResponse");
        assertThat(match.body().get("totalResults").asInt()).isEqualTo(1);
        assertThat(match.body().get("itemsPerPage").asInt()).isEqualTo(1);
        assertThat(match.body().get("startIndex").asInt()).isEqualTo(1);
        assertThat(match.body().at("/Resources/0/id").asText()).isEqualTo(id);

        assertThat(server.users()).singleElement().satisfies(user -> {
            assertThat(user.id()).isEqualTo(id);
            assertThat(user.externalId()).isEqualTo("ada");
            assertThat(user.givenName()).isEqualTo("Ada");
            assertThat(user.email()).isEqualTo("ada@example.com");
            assertThat(user.active()).isTrue();
            assertThat(user.status()).isEqualTo(DruvaUser.ACTIVE);
        });
    }

    @Test
    void testConnectionFilterWithNoMatchIsAnEmptyListResponse() {
        Answer none = scim.filterUsers("userName eq \"2f1e0b8e-8d4c-4d55-9a77-6c0e8ab2f0e1\"");

        assertThat(none.status()).isEqualTo(200);
        assertThat(none.body().get("totalResults").asInt()).isZero();
        assertThat(none.body().get("Resources")).isEmpty();
    }

    @Test
    void filtersOnOtherAttributesCombineWithAnd() {
        String id = scim.createUserId("grace@example.com");
        scim.createUserId("alan@example.com");

        assertThat(scim.filterUsers("externalId eq \"grace\"").body().at("/Resources/0/id").asText()).isEqualTo(id);
        assertThat(scim.filterUsers("emails[type eq \"work\"].value eq \"GRACE@example.com\"")
                .body().get("totalResults").asInt()).isEqualTo(1);
        assertThat(scim.filterUsers("emails.value eq \"grace@example.com\" AND externalId eq \"grace\"")
                .body().get("totalResults").asInt()).isEqualTo(1);
        assertThat(scim.filterUsers("id eq \"" + id + "\" and externalId eq \"alan\"")
                .body().get("totalResults").asInt()).isZero();
        assertThat(scim.filterUsers("displayName eq \"ada lovelace\"").body().get("totalResults").asInt())
                .isEqualTo(2);
    }

    @Test
    void filterValuesMayContainEscapedQuotes() {
        scim.createUser("o\\\"brien@example.com", "obrien@example.com");

        Answer match = scim.filterUsers("userName eq \"o\\\"brien@example.com\"");

        assertThat(match.body().get("totalResults").asInt()).isEqualTo(1);
        assertThat(match.body().at("/Resources/0/userName").asText()).isEqualTo("o\"brien@example.com");
    }

    @Test
    void unsupportedFilterIs400InvalidFilter() {
        Answer or = scim.filterUsers("userName eq \"a\" or userName eq \"b\"");
        Answer co = scim.filterUsers("userName co \"a\"");
        Answer title = scim.filterUsers("title eq \"a\"");

        for (Answer answer : new Answer[]{or, co, title}) {
            assertThat(answer.status()).isEqualTo(400);
            assertThat(answer.body().get("scimType").asText()).isEqualTo("invalidFilter");
        }
    }

    @Test
    void userWithoutEmailIsRejectedWithInvalidValue() {
        Answer answer = scim.createUser("noemail@example.com", null);

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.body().get("schemas").get(0).asText())
                .isEqualTo("urn:ietf:params:scim:api:messages:2.0:Error");
        assertThat(answer.body().get("status").asText()).isEqualTo("400");
        assertThat(answer.body().get("scimType").asText()).isEqualTo("invalidValue");
        assertThat(answer.body().get("detail").asText()).contains("email");
        assertThat(server.users()).isEmpty();
    }

    @Test
    void duplicateUserNameIs409UniquenessRegardlessOfCase() {
        scim.createUserId("dup@example.com");

        Answer answer = scim.createUser("DUP@example.com", "dup@example.com");

        assertThat(answer.status()).isEqualTo(409);
        assertThat(answer.body().get("status").asText()).isEqualTo("409");
        assertThat(answer.body().get("scimType").asText()).isEqualTo("uniqueness");
        assertThat(server.users()).hasSize(1);
    }

    @Test
    void entraDialectDisablesWithCapitalisedOpAndStringFalse() {
        String id = scim.createUserId("ada@example.com");

        Answer answer = scim.patch("/Users/" + id, ScimClient.patchOp(
                "{\"op\":\"Replace\",\"path\":\"active\",\"value\":\"False\"}",
                "{\"op\":\"Replace\",\"path\":\"name.familyName\",\"value\":\"King\"}"));

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.body().get("active").asBoolean()).isFalse();
        assertThat(answer.body().at("/urn:ietf:params:scim:schemas:extension:druva:2.0:User/status").asText())
                .isEqualTo("Preserved");
        assertThat(server.users()).singleElement().satisfies(user -> {
            assertThat(user.status()).isEqualTo(DruvaUser.PRESERVED);
            assertThat(user.active()).isFalse();
            assertThat(user.familyName()).isEqualTo("King");
        });
    }

    @Test
    void rfcStrictDialectReactivatesWithLowercaseOpAndBooleanTrue() {
        String id = scim.createUserId("ada@example.com");
        scim.patch("/Users/" + id, ScimClient.patchOp("{\"op\":\"Replace\",\"path\":\"active\",\"value\":\"False\"}"));

        Answer answer = scim.patch("/Users/" + id, ScimClient.patchOp(
                "{\"op\":\"replace\",\"path\":\"active\",\"value\":true}"));

        assertThat(answer.status()).isEqualTo(200);
        assertThat(server.users()).singleElement().extracting(DruvaUser::status).isEqualTo(DruvaUser.ACTIVE);
    }

    @Test
    void patchWithoutPathAppliesAnObjectOfAttributes() {
        String id = scim.createUserId("ada@example.com");

        Answer answer = scim.patch("/Users/" + id, ScimClient.patchOp(
                "{\"op\":\"replace\",\"value\":{\"active\":false,\"displayName\":\"Countess\","
                        + "\"emails[type eq \\\"work\\\"].value\":\"countess@example.com\"}}"));

        assertThat(answer.status()).isEqualTo(200);
        assertThat(server.users()).singleElement().satisfies(user -> {
            assertThat(user.status()).isEqualTo(DruvaUser.PRESERVED);
            assertThat(user.displayName()).isEqualTo("Countess");
            assertThat(user.email()).isEqualTo("countess@example.com");
        });
    }

    @Test
    void patchOnUserNameOrExternalIdIs400MutabilityAndChangesNothing() {
        String id = scim.createUserId("ada@example.com");

        Answer userName = scim.patch("/Users/" + id, ScimClient.patchOp(
                "{\"op\":\"Replace\",\"path\":\"displayName\",\"value\":\"Changed\"}",
                "{\"op\":\"Replace\",\"path\":\"userName\",\"value\":\"other@example.com\"}"));
        Answer externalId = scim.patch("/Users/" + id, ScimClient.patchOp(
                "{\"op\":\"Replace\",\"path\":\"externalId\",\"value\":\"other\"}"));

        for (Answer answer : new Answer[]{userName, externalId}) {
            assertThat(answer.status()).isEqualTo(400);
            assertThat(answer.body().get("scimType").asText()).isEqualTo("mutability");
        }
        assertThat(server.users()).singleElement().satisfies(user -> {
            assertThat(user.userName()).isEqualTo("ada@example.com");
            assertThat(user.displayName()).isEqualTo("Ada Lovelace");
        });
    }

    @Test
    void unknownOpIsInvalidSyntaxAndUnknownPathIsInvalidPath() {
        String id = scim.createUserId("ada@example.com");

        Answer op = scim.patch("/Users/" + id, ScimClient.patchOp(
                "{\"op\":\"Move\",\"path\":\"displayName\",\"value\":\"x\"}"));
        Answer path = scim.patch("/Users/" + id, ScimClient.patchOp(
                "{\"op\":\"Replace\",\"path\":\"title\",\"value\":\"x\"}"));

        assertThat(op.status()).isEqualTo(400);
        assertThat(op.body().get("scimType").asText()).isEqualTo("invalidSyntax");
        assertThat(path.status()).isEqualTo(400);
        assertThat(path.body().get("scimType").asText()).isEqualTo("invalidPath");
    }

    @Test
    void removingTheEmailIsRejected() {
        String id = scim.createUserId("ada@example.com");

        Answer answer = scim.patch("/Users/" + id, ScimClient.patchOp(
                "{\"op\":\"Remove\",\"path\":\"emails[type eq \\\"work\\\"].value\"}"));

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.body().get("scimType").asText()).isEqualTo("invalidValue");
        assertThat(server.users()).singleElement().extracting(DruvaUser::email).isEqualTo("ada@example.com");
    }

    @Test
    void listingPagesThroughAllUsers() {
        for (int i = 1; i <= 5; i++) {
            scim.createUserId("user" + i + "@example.com");
        }

        Answer page = scim.get("/Users?startIndex=2&count=2");
        Answer all = scim.get("/Users");
        Answer capped = scim.get("/Users?count=1000");

        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body().get("totalResults").asInt()).isEqualTo(5);
        assertThat(page.body().get("startIndex").asInt()).isEqualTo(2);
        assertThat(page.body().get("itemsPerPage").asInt()).isEqualTo(2);
        assertThat(page.body().at("/Resources/0/userName").asText()).isEqualTo("user2@example.com");
        assertThat(page.body().at("/Resources/1/userName").asText()).isEqualTo("user3@example.com");
        assertThat(all.body().get("Resources")).hasSize(5);
        assertThat(capped.body().get("Resources")).hasSize(5);
    }

    @Test
    void deletedUserIsGoneWith404() {
        String id = scim.createUserId("ada@example.com");

        Answer deleted = scim.delete("/Users/" + id);
        Answer read = scim.get("/Users/" + id);

        assertThat(deleted.status()).isEqualTo(204);
        assertThat(deleted.raw().body()).isEmpty();
        assertThat(read.status()).isEqualTo(404);
        assertThat(read.body().get("status").asText()).isEqualTo("404");
        assertThat(scim.delete("/Users/" + id).status()).isEqualTo(404);
        assertThat(server.users()).isEmpty();
    }

    @Test
    void unknownUserIs404() {
        Answer answer = scim.patch("/Users/missing", ScimClient.patchOp(
                "{\"op\":\"Replace\",\"path\":\"active\",\"value\":false}"));

        assertThat(answer.status()).isEqualTo(404);
        assertThat(answer.body().get("schemas").get(0).asText())
                .isEqualTo("urn:ietf:params:scim:api:messages:2.0:Error");
    }
}
