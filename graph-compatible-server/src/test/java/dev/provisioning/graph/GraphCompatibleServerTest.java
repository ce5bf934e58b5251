package dev.provisioning.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.provisioning.graph.GraphDirectory.PrincipalType;

class GraphCompatibleServerTest {

    static final ObjectMapper JSON = new ObjectMapper();
    final HttpClient http = HttpClient.newHttpClient();
    GraphCompatibleServer graph;
    GraphDirectory directory;

    @BeforeEach
    void start() {
        graph = GraphCompatibleServer.start(GraphCompatibleServer.Options.defaults().deltaPageSize(3));
        directory = graph.directory();
    }

    @AfterEach
    void stop() {
        graph.close();
    }

    /** As a national cloud's token endpoint grants only its own Graph's scope, this one grants only {@code scope()}. */
    @Test
    void anotherGraphEndpointsScopeIsRefusedWithInvalidScope() throws Exception {
        HttpResponse<String> response = tokenRequest(graph.options().clientSecret(),
                "https://graph.microsoft.com/.default");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).path("error").asText()).isEqualTo("invalid_scope");
        assertThat(graph.scope()).isEqualTo(graph.authorityUrl() + "/.default");
    }

    @Test
    void aWrongClientSecretIsRefusedWithInvalidClient() throws Exception {
        HttpResponse<String> response = tokenRequest(graph.options().clientSecret() + "x");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(response.body()).path("error").asText()).isEqualTo("invalid_client");
        assertThat(JSON.readTree(response.body()).path("error_description").asText()).contains("AADSTS7000215");
    }

    @Test
    void graphCallsNeedAValidUnexpiredBearerToken() throws Exception {
        assertThat(get(graph.baseUrl() + "/users/delta", null).statusCode()).isEqualTo(401);
        String token = token();
        assertThat(get(graph.baseUrl() + "/users/delta", token).statusCode()).isEqualTo(200);

        graph.expireAccessTokens();

        HttpResponse<String> expired = get(graph.baseUrl() + "/users/delta", token);
        assertThat(expired.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(expired.body()).path("error").path("code").asText())
                .isEqualTo("InvalidAuthenticationToken");
    }

    @Test
    void usersDeltaPagesToADeltaLinkThatReturnsOnlyChangesSince() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ids.add(directory.addUser(Map.of("userPrincipalName", "u" + i + "@contoso.example", "mail",
                    "u" + i + "@contoso.example", "jobTitle", "Engineer", "accountEnabled", true)));
        }
        String token = token();

        Round initial = round(graph.baseUrl() + "/users/delta?$select=userPrincipalName,mail,accountEnabled", token);

        assertThat(initial.pages).isEqualTo(3);
        assertThat(initial.items).hasSize(7).allSatisfy(u -> {
            assertThat(u.has("jobTitle")).as("not selected").isFalse();
            assertThat(u.path("accountEnabled").asBoolean()).isTrue();
        });
        assertThat(initial.deltaLink).contains("$deltatoken=");

        directory.updateUser(ids.get(0), new HashMap<>(Map.of("mail", "new0@contoso.example")));
        Map<String, Object> cleared = new HashMap<>();
        cleared.put("mail", null);
        directory.updateUser(ids.get(1), cleared);
        directory.softDeleteUser(ids.get(2));
        directory.hardDeleteUser(ids.get(3));
        String added = directory.addUser(Map.of("userPrincipalName", "new@contoso.example"));

        Round changes = round(initial.deltaLink, token);

        assertThat(changes.items).extracting(n -> n.path("id").asText())
                .containsExactlyInAnyOrder(ids.get(0), ids.get(1), ids.get(2), ids.get(3), added);
        JsonNode changed = byId(changes.items, ids.get(0));
        // the default response carries every selected property, changed or not
        assertThat(changed.path("mail").asText()).isEqualTo("new0@contoso.example");
        assertThat(changed.path("userPrincipalName").asText()).isEqualTo("u0@contoso.example");
        assertThat(byId(changes.items, ids.get(1)).get("mail").isNull()).isTrue();
        assertThat(byId(changes.items, ids.get(2)).path("@removed").path("reason").asText()).isEqualTo("changed");
        assertThat(byId(changes.items, ids.get(3)).path("@removed").path("reason").asText()).isEqualTo("deleted");

        Round none = round(changes.deltaLink, token);
        assertThat(none.items).isEmpty();
    }

    @Test
    void preferMinimalReturnsOnlyTheChangedProperties() throws Exception {
        String id = directory.addUser(Map.of("userPrincipalName", "a@contoso.example", "mail", "a@contoso.example"));
        String token = token();
        Round initial = round(graph.baseUrl() + "/users/delta?$select=userPrincipalName,mail", token);
        directory.updateUser(id, Map.of("mail", "b@contoso.example"));

        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(initial.deltaLink))
                .header("Authorization", "Bearer " + token).header("Prefer", "return=minimal").build(),
                HttpResponse.BodyHandlers.ofString());

        JsonNode user = JSON.readTree(response.body()).path("value").get(0);
        assertThat(user.path("mail").asText()).isEqualTo("b@contoso.example");
        assertThat(user.has("userPrincipalName")).isFalse();
    }

    @Test
    void groupsDeltaReportsMembersAddedAndRemoved() throws Exception {
        String a = directory.addUser(Map.of("userPrincipalName", "a@contoso.example"));
        String b = directory.addUser(Map.of("userPrincipalName", "b@contoso.example"));
        String c = directory.addUser(Map.of("userPrincipalName", "c@contoso.example"));
        String group = directory.addGroup(null, "Sales");
        directory.addMember(group, a);
        directory.addMember(group, b);
        String token = token();
        Round initial = round(graph.baseUrl() + "/groups/delta?$select=displayName,members", token);
        assertThat(byId(initial.items, group).path("members@delta")).extracting(m -> m.path("id").asText())
                .containsExactly(a, b);

        directory.removeMember(group, a);
        directory.addMember(group, c);
        directory.softDeleteUser(b);

        Round changes = round(initial.deltaLink, token);

        JsonNode members = byId(changes.items, group).path("members@delta");
        assertThat(members).hasSize(3);
        assertThat(byId(members, a).path("@removed").path("reason").asText()).isEqualTo("deleted");
        assertThat(byId(members, b).has("@removed")).isTrue();
        assertThat(byId(members, c).has("@removed")).isFalse();
        assertThat(byId(changes.items, group).path("displayName").asText()).isEqualTo("Sales");
    }

    @Test
    void aGroupWithManyMembersIsSplitOverSeveralItems() throws Exception {
        String group = directory.addGroup(null, "Big");
        for (int i = 0; i < 7; i++) {
            directory.addMember(group, directory.addUser(Map.of("userPrincipalName", "m" + i + "@contoso.example")));
        }

        Round initial = round(graph.baseUrl() + "/groups/delta?$select=displayName,members", token());

        assertThat(initial.items).hasSize(3).allSatisfy(g -> assertThat(g.path("id").asText()).isEqualTo(group));
        assertThat(initial.items.stream().mapToInt(g -> g.path("members@delta").size()).sum()).isEqualTo(7);
    }

    @Test
    void anExpiredDeltaTokenIsGoneWithSyncStateNotFound() throws Exception {
        directory.addUser(Map.of("userPrincipalName", "a@contoso.example"));
        String token = token();
        Round initial = round(graph.baseUrl() + "/users/delta", token);

        graph.expireDeltaTokens();

        HttpResponse<String> gone = get(initial.deltaLink, token);
        assertThat(gone.statusCode()).isEqualTo(410);
        assertThat(JSON.readTree(gone.body()).path("error").path("code").asText()).isEqualTo("syncStateNotFound");
        assertThat(gone.headers().firstValue("Location")).hasValue(graph.baseUrl() + "/users/delta");
    }

    @Test
    void throttledCallsAnswer429WithRetryAfter() throws Exception {
        String token = token();
        graph.throttleNext(1, Duration.ofSeconds(2));

        HttpResponse<String> throttled = get(graph.baseUrl() + "/users/delta", token);
        assertThat(throttled.statusCode()).isEqualTo(429);
        assertThat(throttled.headers().firstValue("Retry-After")).hasValue("2");
        assertThat(get(graph.baseUrl() + "/users/delta", token).statusCode()).isEqualTo(200);
    }

    @Test
    void aHeldCallAnswersOnlyAfterReleaseWithTheDirectoryAsItIsThen() throws Exception {
        String token = token();
        graph.hold();

        CompletableFuture<HttpResponse<String>> delta = http.sendAsync(
                HttpRequest.newBuilder(URI.create(graph.baseUrl() + "/users/delta")).timeout(Waits.OUTCOME)
                        .header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
        await("the delta call to park").atMost(Waits.OUTCOME).until(() -> graph.parked() == 1);
        directory.addUser(Map.of("userPrincipalName", "late@contoso.example"));

        // a later call that is not held (a token call) gets its answer; the delta call has not
        assertThat(token()).isNotBlank();
        assertThat(delta).as("the held delta call, after the control call answered").isNotDone();
        assertThat(graph.requests()).extracting(GraphRequest::path).as("the log holds answered calls only")
                .noneMatch(path -> path.startsWith("/v1.0"));

        graph.release();

        await("the released delta call").atMost(Waits.OUTCOME).until(delta::isDone);
        assertThat(delta.join().statusCode()).as(delta.join().body()).isEqualTo(200);
        assertThat(JSON.readTree(delta.join().body()).path("value"))
                .extracting(u -> u.path("userPrincipalName").asText())
                .containsExactly("late@contoso.example");
        assertThat(graph.parked()).isZero();
        assertThat(get(graph.baseUrl() + "/users/delta", token).statusCode()).as("a call after the release")
                .isEqualTo(200);
    }

    @Test
    void whileHeldTheThrottleAnswersFirstAndTheCallAfterItParks() throws Exception {
        String token = token();
        graph.throttleNext(2, Duration.ofSeconds(2));
        graph.hold();

        assertThat(get(graph.baseUrl() + "/users/delta", token).statusCode()).isEqualTo(429);
        assertThat(get(graph.baseUrl() + "/users/delta", token).statusCode()).isEqualTo(429);
        CompletableFuture<HttpResponse<String>> third = http.sendAsync(
                HttpRequest.newBuilder(URI.create(graph.baseUrl() + "/users/delta")).timeout(Waits.OUTCOME)
                        .header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
        await("the third call to park").atMost(Waits.OUTCOME).until(() -> graph.parked() == 1);

        assertThat(third).isNotDone();
        graph.release();
        await("the released call").atMost(Waits.OUTCOME).until(third::isDone);
        assertThat(third.join().statusCode()).isEqualTo(200);
        assertThat(graph.requests()).extracting(GraphRequest::status).containsExactly(200, 429, 429, 200);
    }

    @Test
    void assignmentsArePagedAndOmitDeletedPrincipals() throws Exception {
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String id = directory.addUser(Map.of("userPrincipalName", "a" + i + "@contoso.example"));
            directory.assign(id, PrincipalType.User, GraphCompatibleServer.DEFAULT_APP_ROLE);
            users.add(id);
        }
        String group = directory.addGroup(null, "Assigned");
        directory.assign(group, PrincipalType.Group, GraphCompatibleServer.DEFAULT_APP_ROLE);
        directory.softDeleteUser(users.get(0));
        String url = graph.baseUrl() + "/servicePrincipals/" + graph.options().servicePrincipalId()
                + "/appRoleAssignedTo?$top=2";

        Round all = round(url, token());

        assertThat(all.pages).isEqualTo(3);
        assertThat(all.items).extracting(n -> n.path("principalId").asText())
                .containsExactlyInAnyOrder(users.get(1), users.get(2), users.get(3), users.get(4), group);
        assertThat(byId(all.items.stream().map(n -> (JsonNode) JSON.createObjectNode().put("id",
                n.path("principalId").asText()).put("type", n.path("principalType").asText())).toList(), group)
                .path("type").asText()).isEqualTo("Group");
    }

    @Test
    void theRequestLogKeepsNoSecretsOrTokens() throws Exception {
        String token = token();
        get(graph.baseUrl() + "/users/delta", token);

        assertThat(graph.requests()).extracting(GraphRequest::path)
                .containsExactly("/" + graph.options().tenantId() + "/oauth2/v2.0/token", "/v1.0/users/delta");
        assertThat(graph.requests().toString()).doesNotContain(token).doesNotContain(graph.options().clientSecret());
    }

    // ---------------------------------------------------------------- helpers

    record Round(List<JsonNode> items, int pages, String deltaLink) {
    }

    Round round(String url, String token) throws Exception {
        List<JsonNode> items = new ArrayList<>();
        int pages = 0;
        String next = url;
        while (true) {
            HttpResponse<String> response = get(next, token);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(response.body());
            pages++;
            body.path("value").forEach(items::add);
            if (body.has("@odata.nextLink")) {
                next = body.path("@odata.nextLink").asText();
            } else {
                return new Round(items, pages, body.path("@odata.deltaLink").asText(null));
            }
        }
    }

    static JsonNode byId(Iterable<JsonNode> nodes, String id) {
        for (JsonNode node : nodes) {
            if (node.path("id").asText().equals(id)) {
                return node;
            }
        }
        throw new AssertionError("no object " + id);
    }

    String token() throws Exception {
        HttpResponse<String> response = tokenRequest(graph.options().clientSecret());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).path("access_token").asText();
    }

    HttpResponse<String> tokenRequest(String secret) throws IOException, InterruptedException {
        return tokenRequest(secret, graph.scope());
    }

    HttpResponse<String> tokenRequest(String secret, String scope) throws IOException, InterruptedException {
        String form = "client_id=" + graph.options().clientId() + "&client_secret="
                + URLEncoder.encode(secret, StandardCharsets.UTF_8) + "&scope="
                + URLEncoder.encode(scope, StandardCharsets.UTF_8)
                + "&grant_type=client_credentials";
        return http.send(HttpRequest.newBuilder(
                URI.create(graph.authorityUrl() + "/" + graph.options().tenantId() + "/oauth2/v2.0/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String url, String token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
