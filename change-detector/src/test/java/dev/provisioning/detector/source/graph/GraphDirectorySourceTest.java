package dev.provisioning.detector.source.graph;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;
import io.restassured.http.ContentType;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.detector.source.Directory;
import dev.provisioning.detector.source.DirectorySource;
import dev.provisioning.detector.source.DirectorySources;
import dev.provisioning.detector.source.SourceException;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.job.GraphSource;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.SecretCipher;
import dev.provisioning.events.job.SourceConfig;
import dev.provisioning.events.job.SourceType;
import dev.provisioning.graph.GraphCompatibleServer;
import dev.provisioning.graph.GraphDirectory;
import dev.provisioning.graph.GraphDirectory.PrincipalType;
import dev.provisioning.graph.GraphRequest;
import dev.provisioning.localstack.LocalStackTestResource;

/**
 * The Graph source against the Graph-compatible server, with the real database: what a cycle would read, round after
 * round.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class GraphDirectorySourceTest {

    static final String ROLE = GraphCompatibleServer.DEFAULT_APP_ROLE;

    @Inject
    DirectorySources sources;
    @Inject
    SecretCipher cipher;

    GraphCompatibleServer graph;
    GraphDirectory tenant;
    JobConfig job;
    final List<LogRecord> logs = new ArrayList<>();
    final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            synchronized (logs) {
                logs.add(record);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void start() {
        graph = GraphCompatibleServer.start(GraphCompatibleServer.Options.defaults().deltaPageSize(200)
                .assignmentPageSize(100));
        tenant = graph.directory();
        job = job(graph.options().clientSecret());
        java.util.logging.Logger.getLogger("").addHandler(capture);
    }

    @AfterEach
    void stop() {
        java.util.logging.Logger.getLogger("").removeHandler(capture);
        graph.close();
    }

    @Test
    void theFirstReadPagesThroughEveryUserGroupAndAssignment() {
        List<String> users = addUsers(450);
        String sales = tenant.addGroup(null, "Sales");
        users.subList(0, 300).forEach(u -> tenant.addMember(sales, u));
        tenant.assign(sales, PrincipalType.Group, ROLE);
        users.subList(300, 450).forEach(u -> tenant.assign(u, PrincipalType.User, ROLE));

        Directory directory = readAndCommit();

        assertThat(directory.users()).hasSize(450);
        Directory.SourceUser first = user(directory, users.get(0));
        assertThat(first.attributes()).containsEntry("userPrincipalName", "user0@contoso.example")
                .containsEntry("mail", "user0@contoso.example").containsEntry("accountEnabled", true)
                .containsEntry("givenName", "Given0");
        assertThat(directory.groups()).singleElement().satisfies(g -> {
            assertThat(g.displayName()).isEqualTo("Sales");
            assertThat(g.members()).containsExactlyInAnyOrderElementsOf(users.subList(0, 300));
        });
        assertThat(directory.assignments()).hasSize(151);
        assertThat(directory.assignmentsByUser()).hasSize(450);
        // 3 pages of users, 1 of groups (the group's 300 members in two items), 2 of assignments
        assertThat(graphCalls("/v1.0/users/delta")).hasSize(3);
        assertThat(graphCalls("/v1.0/groups/delta")).hasSize(1);
        assertThat(graphCalls("/appRoleAssignedTo")).hasSize(2);
    }

    @Test
    void aCommittedReadMakesTheNextOneReadOnlyTheChangesYetReturnTheWholeDirectory() {
        List<String> users = addUsers(5);
        users.forEach(u -> tenant.assign(u, PrincipalType.User, ROLE));
        readAndCommit();
        graph.clearRequests();

        tenant.updateUser(users.get(0), Map.of("jobTitle", "CTO", "surname", "Lovelace"));
        String added = tenant.addUser(user(99));
        tenant.assign(added, PrincipalType.User, ROLE);
        tenant.unassign(users.get(1));

        Directory directory = readAndCommit();

        assertThat(directory.users()).hasSize(6);
        assertThat(user(directory, users.get(0)).attributes()).containsEntry("jobTitle", "CTO")
                .containsEntry("surname", "Lovelace").containsEntry("mail", "user0@contoso.example");
        assertThat(user(directory, added).attributes()).containsEntry("mail", "user99@contoso.example");
        assertThat(directory.assignmentsByUser()).containsKeys(users.get(0), added).doesNotContainKey(users.get(1));
        assertThat(graphCalls("/v1.0/users/delta")).singleElement()
                .satisfies(r -> assertThat(r.query()).startsWith("$deltatoken="));
        assertThat(graphCalls("/v1.0/groups/delta")).singleElement()
                .satisfies(r -> assertThat(r.query()).startsWith("$deltatoken="));
    }

    @Test
    void aReadThatIsNotCommittedIsReadAgainNextTime() {
        List<String> users = addUsers(3);
        readAndCommit();
        tenant.updateUser(users.get(0), Map.of("displayName", "Renamed"));

        sources.forJob(job).read(); // the cycle fails before its events are on Kafka: no commit
        graph.clearRequests();
        Directory replayed = readAndCommit();

        assertThat(user(replayed, users.get(0)).attributes()).containsEntry("displayName", "Renamed");
        graph.clearRequests();
        Directory after = readAndCommit();
        assertThat(user(after, users.get(0)).attributes()).containsEntry("displayName", "Renamed");
        assertThat(graph.requests()).filteredOn(r -> r.path().endsWith("/delta")).hasSize(2);
    }

    /**
     * PostgreSQL's jsonb refuses the NUL escape (U+0000, SQLSTATE 22P05): before, a user with a NUL character in
     * one attribute made every commit of the mirror fail, so the delta token never advanced and the job was stuck.
     */
    @Test
    void aNulCharacterFromGraphIsReplacedReportedAndTheDeltaTokenAdvances() {
        List<String> users = addUsers(3);
        String sales = tenant.addGroup(null, "Sales");
        readAndCommit();
        tenant.updateUser(users.get(1), Map.of("displayName", "Ada\u0000 Lovelace"));
        tenant.renameGroup(sales, "Sales\u0000");
        graph.clearRequests();

        Directory directory = readAndCommit();

        assertThat(user(directory, users.get(1)).attributes()).containsEntry("displayName", "Ada\uFFFD Lovelace");
        assertThat(directory.groups()).singleElement()
                .satisfies(g -> assertThat(g.displayName()).isEqualTo("Sales\uFFFD"));
        assertThat(directory.problems()).satisfiesExactly(p -> {
            assertThat(p.kind()).isEqualTo(Directory.Problem.Kind.ValueReplaced);
            assertThat(p.kind().warning()).isTrue();
            assertThat(p.objectType()).isEqualTo(ObjectType.USER);
            assertThat(p.objectId()).isEqualTo(users.get(1));
            assertThat(p.detail()).contains(users.get(1), "displayName", "NUL character", "U+FFFD");
        }, p -> {
            assertThat(p.objectType()).isEqualTo(ObjectType.GROUP);
            assertThat(p.objectId()).isEqualTo(sales);
            assertThat(p.detail()).contains(sales, "displayName");
        });
        String replayed = graphCalls("/v1.0/users/delta").get(0).query();

        // the commit stored the mirror and the new deltaLinks: the next read asks from the new token
        graph.clearRequests();
        Directory next = readAndCommit();
        assertThat(graphCalls("/v1.0/users/delta")).singleElement()
                .satisfies(r -> assertThat(r.query()).startsWith("$deltatoken=").isNotEqualTo(replayed));
        assertThat(user(next, users.get(1)).attributes()).containsEntry("displayName", "Ada\uFFFD Lovelace");
        assertThat(next.problems()).as("reported once, when it arrived").isEmpty();
    }

    @Test
    void softDeletedUsersAreKeptWithDeletedDateTimeAndHardDeletedOnesDisappear() {
        List<String> users = addUsers(4);
        String group = tenant.addGroup(null, "Engineering");
        users.forEach(u -> tenant.addMember(group, u));
        readAndCommit();

        tenant.softDeleteUser(users.get(0));
        tenant.hardDeleteUser(users.get(1));
        Directory directory = readAndCommit();

        assertThat(user(directory, users.get(0)).attributes()).containsKey("deletedDateTime")
                .containsEntry("mail", "user0@contoso.example");
        assertThat(directory.users()).extracting(Directory.SourceUser::id).doesNotContain(users.get(1)).hasSize(3);
        assertThat(directory.groups().get(0).members()).containsExactlyInAnyOrder(users.get(2), users.get(3));

        tenant.restoreUser(users.get(0));
        Directory restored = readAndCommit();

        assertThat(user(restored, users.get(0)).attributes()).doesNotContainKey("deletedDateTime");
        assertThat(restored.groups().get(0).members()).contains(users.get(0));
    }

    @Test
    void membershipChangesRenamesAndDeletedGroupsArrive() {
        List<String> users = addUsers(4);
        String sales = tenant.addGroup(null, "Sales");
        String temp = tenant.addGroup(null, "Temp");
        tenant.addMember(sales, users.get(0));
        tenant.addMember(sales, users.get(1));
        tenant.addMember(temp, users.get(3));
        tenant.assign(sales, PrincipalType.Group, ROLE);
        tenant.assign(temp, PrincipalType.Group, ROLE);
        readAndCommit();

        tenant.removeMember(sales, users.get(0));
        tenant.addMember(sales, users.get(2));
        tenant.renameGroup(sales, "Sales EMEA");
        tenant.deleteGroup(temp);
        Directory directory = readAndCommit();

        assertThat(directory.groups()).singleElement().satisfies(g -> {
            assertThat(g.displayName()).isEqualTo("Sales EMEA");
            assertThat(g.members()).containsExactlyInAnyOrder(users.get(1), users.get(2));
        });
        assertThat(directory.assignmentsByUser()).containsOnlyKeys(users.get(1), users.get(2));
    }

    @Test
    void anExpiredDeltaTokenStartsAFullSynchronizationThatForgetsWhatIsGoneAndKeepsTheRecycleBin() {
        List<String> users = addUsers(6);
        String group = tenant.addGroup(null, "Sales");
        tenant.addMember(group, users.get(0));
        readAndCommit();
        tenant.hardDeleteUser(users.get(4));
        tenant.softDeleteUser(users.get(5));
        tenant.updateUser(users.get(0), Map.of("department", "Finance"));
        graph.expireDeltaTokens();
        graph.clearRequests();

        Directory directory = readAndCommit();

        assertThat(directory.users()).hasSize(5).extracting(Directory.SourceUser::id).doesNotContain(users.get(4));
        assertThat(user(directory, users.get(0)).attributes()).containsEntry("department", "Finance");
        // a fresh delta lists only existing users: the recycle bin says which of the missing ones are soft-deleted
        assertThat(user(directory, users.get(5)).attributes()).containsKey("deletedDateTime")
                .containsEntry("mail", "user5@contoso.example");
        assertThat(directory.groups()).singleElement().satisfies(g -> assertThat(g.members()).hasSize(1));
        assertThat(graphCalls("/v1.0/users/delta")).extracting(GraphRequest::status).containsExactly(410, 200);
        assertThat(graphCalls("/v1.0/users/delta").get(1).query()).startsWith("$select=");
        // the resynchronised mirror is stored: the next read is incremental again and still complete
        graph.clearRequests();
        assertThat(readAndCommit().users()).hasSize(5);
        assertThat(graphCalls("/v1.0/users/delta")).singleElement()
                .satisfies(r -> assertThat(r.query()).startsWith("$deltatoken="));
    }

    @Test
    void afterAResyncAFailedDeletedItemsLookupFailsThatOneUserNotTheReadAndIsLookedUpAgainNextTime() {
        List<String> users = addUsers(4);
        readAndCommit();
        tenant.hardDeleteUser(users.get(3));
        graph.expireDeltaTokens();
        // every attempt of the recycle-bin lookup answers 503
        graph.failNext("/directory/deletedItems/", 6, 503);

        Directory directory = readAndCommit();

        // the read succeeds; the user whose fate is unknown stays as it was (nothing happens to it in Druva)
        assertThat(directory.users()).extracting(Directory.SourceUser::id).containsExactlyInAnyOrderElementsOf(users);
        assertThat(user(directory, users.get(3)).attributes()).doesNotContainKey("deletedDateTime")
                .doesNotContainKey("@lookupPending");
        assertThat(directory.problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Directory.Problem.Kind.LookupFailed);
            assertThat(p.objectId()).isEqualTo(users.get(3));
            assertThat(p.detail()).contains("503", "looked up again in the next cycle");
        });

        // the next read (incremental) looks it up again: gone for good
        graph.clearRequests();
        Directory next = readAndCommit();
        assertThat(next.users()).extracting(Directory.SourceUser::id).doesNotContain(users.get(3)).hasSize(3);
        assertThat(next.problems()).isEmpty();
        assertThat(graphCalls("/directory/deletedItems/" + users.get(3))).extracting(GraphRequest::status)
                .containsExactly(404);
        assertThat(readAndCommit().problems()).as("settled: not looked up again").isEmpty();
    }

    @Test
    void theAppsRolesComeWithTheAssignments() {
        String user = tenant.addUser(user(1));
        tenant.defineAppRole(ROLE, "Admin", "Administrator");
        tenant.assign(user, PrincipalType.User, ROLE);

        Directory directory = readAndCommit();

        assertThat(directory.assignmentsByUser().get(user)).singleElement().satisfies(a -> {
            assertThat(a.appRoleValue()).isEqualTo("Admin");
            assertThat(a.appRoleDisplayName()).isEqualTo("Administrator");
        });
        assertThat(graphCalls("/servicePrincipals/" + graph.options().servicePrincipalId())).filteredOn(
                r -> !r.path().endsWith("/appRoleAssignedTo")).singleElement()
                .satisfies(r -> assertThat(r.query()).isEqualTo("$select=appRoles"));
    }

    @Test
    void throttlingIsWaitedOutAsRetryAfterSays() {
        addUsers(2);
        graph.throttleNext(2, Duration.ofSeconds(1));

        Directory directory = readAndCommit();

        assertThat(directory.users()).hasSize(2);
        List<GraphRequest> calls = graphCalls("/v1.0/users/delta");
        assertThat(calls).extracting(GraphRequest::status).containsExactly(429, 429, 200);
        assertThat(Duration.between(calls.get(0).timestamp(), calls.get(1).timestamp()))
                .isGreaterThanOrEqualTo(Duration.ofMillis(950));
        assertThat(Duration.between(calls.get(1).timestamp(), calls.get(2).timestamp()))
                .isGreaterThanOrEqualTo(Duration.ofMillis(950));
    }

    @Test
    void anExpiredAccessTokenIsRenewed() {
        addUsers(1);
        readAndCommit();
        graph.expireAccessTokens();
        graph.clearRequests();

        assertThat(readAndCommit().users()).hasSize(1);
        assertThat(graph.requests()).extracting(GraphRequest::status).startsWith(401, 200);
        assertThat(graph.requests()).filteredOn(r -> r.path().endsWith("/token")).hasSize(1);
    }

    @Test
    void aWrongSecretFailsNamingTheTenantAndTheOAuthErrorWithoutLeakingIt() {
        addUsers(1);
        String wrong = "wrong-secret-" + System.nanoTime();
        JobConfig wrongSecret = job(wrong);

        assertThatThrownBy(() -> sources.forJob(wrongSecret).read()).isInstanceOf(SourceException.class)
                .hasMessageContaining(graph.options().tenantId())
                .hasMessageContaining("invalid_client")
                .hasMessageContaining("AADSTS7000215")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(wrong));
        assertThat(graph.requests()).filteredOn(r -> r.path().startsWith("/v1.0")).isEmpty();
    }

    @Test
    void neitherTheSecretNorATokenIsEverLogged() {
        addUsers(3);
        graph.throttleNext(1, Duration.ofSeconds(1));
        readAndCommit();
        graph.expireAccessTokens();
        readAndCommit();

        synchronized (logs) {
            assertThat(logs).isNotEmpty();
            assertThat(logs).extracting(r -> r.getMessage()
                    + (r.getParameters() == null ? "" : java.util.Arrays.toString(r.getParameters())))
                    .anySatisfy(line -> assertThat(line).contains("retrying GET /v1.0/users/delta"))
                    .allSatisfy(line -> assertThat(line).doesNotContain(graph.options().clientSecret())
                            .doesNotContain("eyJ0eXAi."));
        }
    }

    // ---------------------------------------------------------------- helpers

    private Directory readAndCommit() {
        DirectorySource source = sources.forJob(job);
        Directory directory = source.read();
        source.commit().await().indefinitely();
        return directory;
    }

    private List<GraphRequest> graphCalls(String pathPart) {
        return graph.requests().stream().filter(r -> r.path().contains(pathPart)).toList();
    }

    private List<String> addUsers(int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(tenant.addUser(user(i)));
        }
        return ids;
    }

    private static Map<String, Object> user(int i) {
        Map<String, Object> user = new HashMap<>();
        user.put("userPrincipalName", "user" + i + "@contoso.example");
        user.put("mail", "user" + i + "@contoso.example");
        user.put("givenName", "Given" + i);
        user.put("surname", "Surname" + i);
        user.put("displayName", "Given" + i + " Surname" + i);
        user.put("accountEnabled", true);
        user.put("favouriteColour", "not selected");
        return user;
    }

    private static Directory.SourceUser user(Directory directory, String id) {
        return directory.users().stream().filter(u -> u.id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no user " + id));
    }

    /** A job for the current fake tenant: the row is made through the API (the mirror belongs to a job). */
    private JobConfig job(String secret) {
        String jobId = given().contentType(ContentType.JSON)
                .body(Map.of("name", "Graph source test", "tenantUrl", "https://apis.druva.test/insync/scim",
                        "secretToken", "druva-token", "provisioningStatus", "Off",
                        "source", Map.of("type", "DIRECTORY_FILE", "directoryFile", "/nonexistent.json")))
                .post("/jobs").then().statusCode(201).extract().path("id");
        GraphSource source = new GraphSource(graph.options().tenantId(), graph.options().clientId(),
                cipher.encrypt(secret), graph.options().servicePrincipalId(), graph.authorityUrl(), graph.baseUrl());
        return new JobConfig(JobConfig.SCHEMA_VERSION, jobId, "Graph source test", null, null, null, null, false, null,
                true, null, null, false, null, null, new SourceConfig(SourceType.MICROSOFT_GRAPH, null, source), null,
                1,
                Instant.now());
    }
}
