package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.provisioning.druva.DruvaGroup;
import dev.provisioning.druva.DruvaUser;
import dev.provisioning.druva.RecordedRequest;
import dev.provisioning.graph.GraphCompatibleServer;
import dev.provisioning.graph.GraphDirectory;
import dev.provisioning.graph.GraphDirectory.PrincipalType;
import dev.provisioning.graph.GraphRequest;

/**
 * The packaged services reading a Microsoft Graph tenant (the Graph-compatible server) of 10,000 users and 200 groups:
 * the initial cycle provisions everyone entitled, and incremental cycles, driven by Graph's delta queries, carry every
 * kind of change into Druva as Entra would: added, changed, unassigned, disabled, soft- and hard-deleted users,
 * membership changes, a deleted group, a restore, and a full resynchronization when Graph forgets the delta token.
 */
@ExtendWith(SharedLocalSystem.class)
class GraphProvisioningEndToEndIT {

    static final int USERS = 10_000;
    static final int GROUPS = 200;
    static final int MEMBERS = 50;
    /**
     * Groups 0..3 are assigned (users 0..199) and users 7,500..7,599 directly: 300 users in scope. The rest of the
     * tenant is read (the delta queries and the mirror hold all 10,000 users) but not entitled, which keeps the Druva
     * side of the test short.
     */
    static final int ASSIGNED_GROUPS = 4;
    static final int DIRECT_FROM = 7_500;
    static final int DIRECT_TO = 7_600;
    static final int IN_SCOPE = ASSIGNED_GROUPS * MEMBERS + DIRECT_TO - DIRECT_FROM;
    static final String ROLE = GraphCompatibleServer.DEFAULT_APP_ROLE;

    static LocalSystem system;
    static GraphCompatibleServer graph;
    static GraphDirectory tenant;
    static final List<String> users = new ArrayList<>();
    static final List<String> groups = new ArrayList<>();

    @BeforeAll
    static void startSystem(LocalSystem shared) {
        graph = GraphCompatibleServer.start(GraphCompatibleServer.Options.defaults());
        tenant = graph.directory();
        for (int i = 0; i < USERS; i++) {
            users.add(tenant.addUser(user(i)));
        }
        for (int g = 0; g < GROUPS; g++) {
            String group = tenant.addGroup(null, "Group " + g);
            groups.add(group);
            for (int m = g * MEMBERS; m < (g + 1) * MEMBERS; m++) {
                tenant.addMember(group, users.get(m));
            }
            if (g < ASSIGNED_GROUPS) {
                tenant.assign(group, PrincipalType.Group, ROLE);
            }
        }
        for (int i = DIRECT_FROM; i < DIRECT_TO; i++) {
            tenant.assign(users.get(i), PrincipalType.User, ROLE);
        }
        system = shared;
        system.druva().settings(s -> s.latency(Duration.ZERO, Duration.ofMillis(5)));
    }

    @AfterAll
    static void stopGraph() {
        if (graph != null) {
            graph.close();
        }
    }

    @Test
    void aGraphTenantIsProvisionedAndKeptInSyncThroughDeltaQueries() {
        createJob();

        // initial cycle: every entitled user, once, active; the others are not sent
        await("initial cycle").atMost(Waits.CYCLE).pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(druva().values()).filteredOn(DruvaUser::active).hasSize(IN_SCOPE));
        Map<String, DruvaUser> initial = druva();
        assertThat(initial).hasSize(IN_SCOPE).containsKeys(upn(0), upn(199), upn(7_500), upn(7_599))
                .doesNotContainKeys(upn(200), upn(DIRECT_TO), upn(USERS - 1));
        assertThat(initial.get(upn(42)).displayName()).isEqualTo("Given 42 Surname");
        assertThat(posts("/Users")).hasSize(IN_SCOPE);
        // the assigned groups, with their members (sent once the members have Druva ids)
        await("initial groups").atMost(Waits.CYCLE).pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(druvaGroups()).containsOnlyKeys("Group 0", "Group 1", "Group 2",
                        "Group 3").allSatisfy((name, members) -> {
                            int g = Integer.parseInt(name.substring("Group ".length()));
                            assertThat(members).containsExactlyInAnyOrderElementsOf(upns(g * MEMBERS,
                                    (g + 1) * MEMBERS));
                        }));
        assertThat(posts("/Groups")).hasSize(ASSIGNED_GROUPS);

        // incremental changes of every kind
        String added = tenant.addUser(user(USERS));
        tenant.assign(added, PrincipalType.User, ROLE);
        tenant.updateUser(users.get(7_500), Map.of("displayName", "Renamed User", "mail", "renamed@contoso.example"));
        tenant.unassign(users.get(7_501));
        tenant.updateUser(users.get(7_502), Map.of("accountEnabled", false));
        tenant.softDeleteUser(users.get(7_503));
        tenant.hardDeleteUser(users.get(7_504));
        tenant.addMember(groups.get(0), users.get(9_000));
        tenant.removeMember(groups.get(0), users.get(0));
        tenant.deleteGroup(groups.get(1)); // users 50..99 lose their only assignment

        await("incremental changes").atMost(Waits.CYCLE).pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    Map<String, DruvaUser> now = druva();
                    assertThat(now.get(upn(USERS))).as("added").isNotNull().extracting(DruvaUser::active)
                            .isEqualTo(true);
                    assertThat(now.get(upn(7_500))).as("changed").extracting(DruvaUser::displayName, DruvaUser::email)
                            .containsExactly("Renamed User", "renamed@contoso.example");
                    assertThat(preserved(now, 7_501)).as("unassigned").isTrue();
                    assertThat(preserved(now, 7_502)).as("disabled").isTrue();
                    assertThat(preserved(now, 7_503)).as("soft-deleted").isTrue();
                    assertThat(now).as("hard-deleted").doesNotContainKey(upn(7_504));
                    assertThat(now.get(upn(9_000))).as("added to an assigned group").isNotNull()
                            .extracting(DruvaUser::active).isEqualTo(true);
                    assertThat(preserved(now, 0)).as("removed from its group").isTrue();
                    for (int i = 50; i < 100; i++) {
                        assertThat(preserved(now, i)).as("member of the deleted group: " + i).isTrue();
                    }
                    Map<String, List<String>> groupsNow = druvaGroups();
                    assertThat(groupsNow).as("the deleted group is deleted in Druva").containsOnlyKeys("Group 0",
                            "Group 2", "Group 3");
                    List<String> group0 = new ArrayList<>(upns(1, MEMBERS));
                    group0.add(upn(9_000));
                    assertThat(groupsNow.get("Group 0")).as("membership changes")
                            .containsExactlyInAnyOrderElementsOf(group0);
                });
        Map<String, DruvaUser> afterChanges = druva();
        // nobody else was touched: everyone else is still active, and only the hard-deleted user was deleted
        assertThat(afterChanges.values()).filteredOn(DruvaUser::active).hasSize(IN_SCOPE + 2 - 1 - 4 - 50);
        assertThat(deletes("/Users")).hasSize(1);
        assertThat(deletes("/Groups")).hasSize(1);
        // the detector read changes through the delta links: the users were listed in full once only
        assertThat(deltaRounds("users")).hasSize(1);

        // a restore, then Graph forgets the delta token: a full resynchronization that changes nothing else
        tenant.restoreUser(users.get(7_503));
        await("restore").atMost(Waits.CYCLE).pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(druva().get(upn(7_503)).active()).isTrue());
        graph.expireDeltaTokens();
        tenant.softDeleteUser(users.get(7_550));
        tenant.updateUser(users.get(7_551), Map.of("displayName", "After Resync"));

        await("resynchronization").atMost(Waits.CYCLE).pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    Map<String, DruvaUser> now = druva();
                    assertThat(now.get(upn(7_551)).displayName()).isEqualTo("After Resync");
                    assertThat(preserved(now, 7_550)).as("soft-deleted during the resync gap").isTrue();
                });
        assertThat(graph.requests()).filteredOn(r -> r.status() == 410).isNotEmpty();
        assertThat(deltaRounds("users")).hasSize(2);
        Map<String, DruvaUser> end = druva();
        assertThat(end).hasSize(IN_SCOPE + 2 - 1);
        assertThat(end.values()).filteredOn(DruvaUser::active).hasSize(IN_SCOPE + 2 - 1 - 4 - 50 + 1 - 1);
        assertThat(deletes("/Users")).hasSize(1);
        assertThat(posts("/Users")).hasSize(IN_SCOPE + 2);
        assertThat(posts("/Groups")).hasSize(ASSIGNED_GROUPS);
        assertThat(druvaGroups().get("Group 0")).hasSize(MEMBERS);
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Creates the Graph job. Until the jobs API accepts {@code source.graph} this version's API refuses the type with
     * a known message: the test is then skipped, not failed; any other refusal fails it.
     */
    private static void createJob() {
        try {
            system.jobs().create(job());
        } catch (IllegalStateException e) {
            Assumptions.assumeFalse(String.valueOf(e.getMessage()).contains("MICROSOFT_GRAPH is not supported"),
                    "the jobs API does not accept MICROSOFT_GRAPH sources yet");
            throw e;
        }
    }

    private static Map<String, DruvaUser> druva() {
        return system.druva().users().stream()
                .collect(Collectors.toMap(DruvaUser::userName, Function.identity(), (a, b) -> {
                    throw new AssertionError("two Druva users named " + a.userName());
                }, LinkedHashMap::new));
    }

    /** Druva's groups by name, each with its members' userNames. */
    private static Map<String, List<String>> druvaGroups() {
        Map<String, String> userNames = system.druva().users().stream()
                .collect(Collectors.toMap(DruvaUser::id, DruvaUser::userName));
        return system.druva().groups().stream().collect(Collectors.toMap(DruvaGroup::displayName,
                g -> g.memberIds().stream().map(id -> userNames.getOrDefault(id, id)).toList()));
    }

    private static List<String> upns(int from, int to) {
        return java.util.stream.IntStream.range(from, to).mapToObj(GraphProvisioningEndToEndIT::upn).toList();
    }

    private static List<RecordedRequest> posts(String resource) {
        return system.druva().requests().stream()
                .filter(r -> r.method().equals("POST") && r.path().endsWith(resource)).toList();
    }

    private static List<RecordedRequest> deletes(String resource) {
        return system.druva().requests().stream()
                .filter(r -> r.method().equals("DELETE") && r.path().contains(resource + "/")).toList();
    }

    /** Disabled but kept in Druva, as Entra leaves an unassigned, disabled or soft-deleted user. */
    private static boolean preserved(Map<String, DruvaUser> druva, int i) {
        DruvaUser user = druva.get(upn(i));
        return user != null && !user.active() && DruvaUser.PRESERVED.equals(user.status());
    }

    /** The delta rounds the detector started from scratch (not from a deltaLink). */
    private static List<GraphRequest> deltaRounds(String resource) {
        return graph.requests().stream()
                .filter(r -> r.path().equals("/v1.0/" + resource + "/delta") && r.status() == 200
                        && Optional.ofNullable(r.query()).orElse("").startsWith("$select="))
                .toList();
    }

    private static String upn(int i) {
        return "user" + i + "@contoso.example";
    }

    private static Map<String, Object> user(int i) {
        Map<String, Object> user = new HashMap<>();
        user.put("userPrincipalName", upn(i));
        user.put("mail", upn(i));
        user.put("mailNickname", "user" + i);
        user.put("givenName", "Given " + i);
        user.put("surname", "Surname");
        user.put("displayName", "Given " + i + " Surname");
        user.put("accountEnabled", true);
        return user;
    }

    private static Map<String, Object> job() {
        GraphCompatibleServer.Options o = graph.options();
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("type", "MICROSOFT_GRAPH");
        source.put("graph", Map.of("tenantId", o.tenantId(), "clientId", o.clientId(), "clientSecret",
                o.clientSecret(), "servicePrincipalId", o.servicePrincipalId(), "authorityUrl", graph.authorityUrl(),
                "graphUrl", graph.baseUrl()));
        Map<String, Object> job = new HashMap<>();
        job.put("name", "Druva (Graph e2e)");
        job.put("tenantUrl", system.druva().baseUrl());
        job.put("secretToken", system.druvaToken());
        job.put("provisioningStatus", "On");
        job.put("cycleInterval", "PT5S");
        job.put("source", source);
        return job;
    }
}
