package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.druva.RecordedRequest;
import dev.provisioning.events.Topics;
import dev.provisioning.graph.GraphCompatibleServer;
import dev.provisioning.graph.GraphDirectory;
import dev.provisioning.graph.GraphDirectory.PrincipalType;
import dev.provisioning.localstack.TopicClient;

/**
 * Load, faults and bad input as one suite (issue 12 item 7), on the packaged services: ten jobs at once, each with its
 * own Druva tenant (a Druva-compatible server of its own):
 * <ul>
 * <li>six healthy jobs, each a directory file of {@value #USERS} users;</li>
 * <li>one whose Druva answers slowly (200-400 ms) with a 1 s burst of 429 every 3 s;</li>
 * <li>one whose source is a Microsoft Graph tenant that throttles its first {@value #GRAPH_THROTTLED} calls (429,
 * {@code Retry-After: 2});</li>
 * <li>one deleted mid-cycle ({@value #DELETED_USERS} users, deleted once its Druva holds 50 of them);</li>
 * <li>one whose directory file is broken ({@code "Users"} for {@code "users"}).</li>
 * </ul>
 * Every final state is exact (diff 0) for the healthy, slow and throttled jobs; the broken job's cycle fails with the
 * JSON pointer and sends nothing; the deleted job's tenant stops receiving requests, and its cycle sends at most one
 * assignment event after the {@code DELETE} answered. The time each healthy job takes (job creation to its last write
 * in Druva) is compared with the same job run alone before the ten, and with the six healthy jobs run together without
 * the faulty four: the ratio (target at most 1.5) is printed as a measurement, not asserted (a loaded CI machine is no
 * place for a speed assertion; the README's reliability section has the figures).
 */
@ExtendWith(SharedLocalSystem.class)
class ReliabilityIT {

    static final int USERS = 150;
    static final int HEALTHY = 6;
    static final int DELETED_USERS = 1_000;
    static final int GRAPH_THROTTLED = 4;

    static LocalSystem system;
    static Path work;
    static final List<AutoCloseable> servers = new ArrayList<>();
    static final List<String> jobIds = new ArrayList<>();

    /** One job and its own Druva tenant. */
    record Tenant(String name, DruvaScimServer druva, String token, TestDirectory expected) {
    }

    @BeforeAll
    static void startSystem(LocalSystem shared) throws Exception {
        work = LocalSystem.findHome().resolve("demo-launcher/target/it-reliability");
        Files.createDirectories(work);
        system = shared;
    }

    @AfterAll
    static void stopTenants() throws Exception {
        for (String id : jobIds) {
            try {
                system.jobs().pause(id);
            } catch (IllegalStateException e) {
                // deleted
            }
        }
        SharedLocalSystem.pauseEarlierJobs(system);
        for (AutoCloseable server : servers) {
            server.close();
        }
    }

    @Test
    void tenJobsWithASlowTargetAThrottledSourceADeletionAndABrokenFileEndExactAndApart() throws Exception {
        // the same healthy job alone first: the baseline of the time ratio
        Tenant alone = tenant("alone", DruvaScimServer.Options.defaults());
        Instant aloneCreated = Instant.now();
        createFileJob(alone, directoryFile(alone));
        await("the job alone").atMost(Waits.CYCLE).pollInterval(Duration.ofMillis(200))
                .until(() -> alone.expected().diff(alone.druva()) == 0);
        Duration aloneTime = Duration.between(aloneCreated, lastWrite(alone.druva()));

        // and the six healthy jobs together, without the faulty four: what the faults alone add
        List<Duration> together = new ArrayList<>();
        Map<Tenant, Instant> togetherCreated = new LinkedHashMap<>();
        for (int i = 0; i < HEALTHY; i++) {
            Tenant t = tenant("together-" + i, DruvaScimServer.Options.defaults());
            togetherCreated.put(t, Instant.now());
            createFileJob(t, directoryFile(t));
        }
        for (Tenant t : togetherCreated.keySet()) {
            await("the six together: " + t.name()).atMost(Waits.CYCLE).pollInterval(Duration.ofMillis(200))
                    .until(() -> t.expected().diff(t.druva()) == 0);
            together.add(Duration.between(togetherCreated.get(t), lastWrite(t.druva())));
        }
        together.sort(Duration::compareTo);

        // the ten
        List<Tenant> healthy = new ArrayList<>();
        for (int i = 0; i < HEALTHY; i++) {
            healthy.add(tenant("healthy-" + i, DruvaScimServer.Options.defaults()));
        }
        Tenant slow = tenant("slow", DruvaScimServer.Options.defaults()
                .latency(Duration.ofMillis(200), Duration.ofMillis(400))
                .throttleBursts(Duration.ofSeconds(3), Duration.ofSeconds(1)));
        Tenant throttled = tenant("graph", DruvaScimServer.Options.defaults());
        GraphCompatibleServer graph = graphTenant(throttled.expected());
        Tenant deleted = new Tenant("deleted", druva(DruvaScimServer.Options.defaults()
                .latency(Duration.ofMillis(50))), null, new TestDirectory("rel-deleted", DELETED_USERS, 0));
        Tenant broken = tenant("broken", DruvaScimServer.Options.defaults());
        Path brokenFile = work.resolve("broken.json");
        Files.writeString(brokenFile, broken.expected().json().replace("\"users\"", "\"Users\""));

        Map<Tenant, Instant> created = new LinkedHashMap<>();
        Map<Tenant, String> ids = new LinkedHashMap<>();
        for (Tenant t : healthy) {
            created.put(t, Instant.now());
            ids.put(t, createFileJob(t, directoryFile(t)));
        }
        created.put(slow, Instant.now());
        ids.put(slow, createFileJob(slow, directoryFile(slow)));
        graph.throttleNext(GRAPH_THROTTLED, Duration.ofSeconds(2));
        created.put(throttled, Instant.now());
        ids.put(throttled, createJob(throttled, graphSource(graph)));
        String deletedId = createJob(deleted, Map.of("type", "DIRECTORY_FILE", "directoryFile",
                directoryFile(deleted).toString()));
        String brokenId = createJob(broken, Map.of("type", "DIRECTORY_FILE", "directoryFile", brokenFile.toString()));

        // one job deleted mid-cycle
        await("the deleted job mid-cycle").atMost(Waits.CYCLE).pollInterval(Duration.ofMillis(100))
                .until(() -> deleted.druva().users().size() >= 50);
        HttpResponse<String> deletion = system.jobs().exchange("DELETE", "/jobs/" + deletedId, null);
        assertThat(deletion.statusCode()).as("DELETE /jobs/{id}: %s", deletion.body()).isEqualTo(204);
        long deleteAnswered = Instant.now().toEpochMilli();
        int deletedAt = deleted.druva().users().size();

        // every other job ends exact
        for (Tenant t : created.keySet()) {
            await("the final state of " + t.name()).atMost(Waits.CYCLE).pollInterval(Duration.ofMillis(200))
                    .until(() -> t.expected().diff(t.druva()) == 0);
        }
        for (Tenant t : created.keySet()) {
            t.expected().assertExact(t.druva());
            assertThat(t.druva().requests()).filteredOn(r -> r.method().equals("POST") && r.status() == 201)
                    .as("creates in %s", t.name()).hasSize(USERS);
        }
        assertThat(graph.requests()).filteredOn(r -> r.status() == 429).as("Graph's 429s")
                .hasSize(GRAPH_THROTTLED);
        long slow429 = slow.druva().requests().stream().filter(r -> r.status() == 429).count();

        // the broken file: the cycle fails with the JSON pointer, nothing is sent
        await("the broken job's failed cycle").atMost(Waits.OUTCOME).untilAsserted(() -> {
            JsonNode cycle = system.jobs().status(brokenId).path("currentCycle");
            assertThat(cycle.path("status").asText()).isEqualTo("FAILED");
            assertThat(cycle.path("error").asText()).contains("/Users: unknown key").contains("/users: is required");
        });
        assertThat(broken.druva().requests()).as("requests of the broken job").isEmpty();

        // the deleted job stops: its tenant hears nothing more, and it is gone from the API
        assertThat(system.jobs().exchange("GET", "/jobs/" + deletedId + "/status", null).statusCode())
                .isEqualTo(404);
        await("the deleted job's requests to stop").atMost(Waits.OUTCOME).pollInterval(Duration.ofMillis(500))
                .until(() -> Instant.now().isAfter(lastRequest(deleted.druva()).plus(Waits.QUIET)));
        int deletedRequests = deleted.druva().requests().size();
        await().during(Waits.QUIET).atMost(Waits.QUIET_CEILING)
                .until(() -> deleted.druva().requests().size() == deletedRequests);
        int deletedEnd = deleted.druva().users().size();
        assertThat(deletedEnd).as("users of the deleted job").isLessThan(DELETED_USERS);
        // and its cycle stopped when the DELETE answered: the detector emits one event at a time here, so at most
        // the one send already past its check comes after (the total is far below the source: it was emitting)
        List<ConsumerRecord<String, String>> deletedEvents;
        try (TopicClient kafka = new TopicClient(system.stack().kafka().bootstrapServers())) {
            deletedEvents = kafka.readAll(Topics.ASSIGNMENTS,
                    r -> r.key() != null && r.key().startsWith(deletedId + "/"));
        }
        long eventsAfterDelete = deletedEvents.stream().filter(r -> r.timestamp() > deleteAnswered).count();
        assertThat(eventsAfterDelete).as("events of the deleted job sent after the DELETE answered")
                .isLessThanOrEqualTo(1);
        assertThat(deletedEvents.size()).as("events of the deleted job").isGreaterThanOrEqualTo(deletedAt)
                .isLessThan(DELETED_USERS);

        // the measurement: each healthy job's time against the same job alone
        List<Double> ratios = new ArrayList<>();
        StringBuilder report = new StringBuilder();
        report.append(String.format("ReliabilityIT: 10 jobs, %d objects (%d + %d for the deleted job); alone %d ms "
                + "(first request after %d ms)%n", USERS * 9 + DELETED_USERS, USERS * 9, DELETED_USERS,
                aloneTime.toMillis(), Duration.between(aloneCreated, firstRequest(alone.druva())).toMillis()));
        for (Tenant t : created.keySet()) {
            Duration took = Duration.between(created.get(t), lastWrite(t.druva()));
            double ratio = took.toMillis() / (double) aloneTime.toMillis();
            if (healthy.contains(t)) {
                ratios.add(ratio);
            }
            Duration firstRequest = Duration.between(created.get(t), firstRequest(t.druva()));
            report.append(String.format(
                    "  %-10s %6d ms  ratio %.2f  (first request after %d ms)  diff %d  requests %d%n", t.name(),
                    took.toMillis(), ratio, firstRequest.toMillis(), t.expected().diff(t.druva()),
                    t.druva().requests().size()));
        }
        ratios.sort(Double::compare);
        report.append(String.format("  healthy jobs: ratio median %.2f, max %.2f (target <= 1.5)%n",
                ratios.get(ratios.size() / 2), ratios.get(ratios.size() - 1)));
        List<Duration> tenHealthy = healthy.stream().map(t -> Duration.between(created.get(t), lastWrite(t.druva())))
                .sorted().toList();
        report.append(String.format("  the six healthy jobs together without the faulty four: median %d ms, max %d ms;"
                + " with them: median %d ms, max %d ms (ratio of medians %.2f)%n",
                together.get(HEALTHY / 2).toMillis(), together.get(HEALTHY - 1).toMillis(),
                tenHealthy.get(HEALTHY / 2).toMillis(), tenHealthy.get(HEALTHY - 1).toMillis(),
                tenHealthy.get(HEALTHY / 2).toMillis() / (double) together.get(HEALTHY / 2).toMillis()));
        report.append(String.format("  faults: slow tenant answered %d x 429; Graph answered %d x 429; deleted job "
                + "stopped at %d/%d users (%d at the DELETE), %d events (%d sent after the DELETE answered); broken "
                + "job failed with the pointer, 0 requests%n",
                slow429, GRAPH_THROTTLED, deletedEnd, DELETED_USERS, deletedAt, deletedEvents.size(),
                eventsAfterDelete));
        System.out.print(report);
        Files.writeString(work.resolve("figures.txt"), report);
    }

    private static Tenant tenant(String name, DruvaScimServer.Options options) {
        return new Tenant(name, druva(options), null, new TestDirectory("rel-" + name, USERS, 0));
    }

    private static DruvaScimServer druva(DruvaScimServer.Options options) {
        DruvaScimServer server = DruvaScimServer.start(options.token("token-" + java.util.UUID.randomUUID()));
        servers.add(server);
        return server;
    }

    private static Path directoryFile(Tenant tenant) throws Exception {
        Path file = work.resolve(tenant.name() + ".json");
        Files.writeString(file, tenant.expected().json());
        return file;
    }

    /** A Graph tenant holding the directory's users, each assigned to the app directly. */
    private static GraphCompatibleServer graphTenant(TestDirectory directory) {
        GraphCompatibleServer graph = GraphCompatibleServer.start(GraphCompatibleServer.Options.defaults());
        servers.add(graph);
        GraphDirectory tenant = graph.directory();
        for (int i = 0; i < directory.withMail(); i++) {
            Map<String, Object> user = new HashMap<>();
            user.put("userPrincipalName", directory.upn(i));
            user.put("mail", directory.upn(i));
            user.put("mailNickname", "user" + i);
            user.put("givenName", "User");
            user.put("surname", String.valueOf(i));
            user.put("displayName", "User " + i);
            user.put("accountEnabled", true);
            tenant.assign(tenant.addUser(user), PrincipalType.User, GraphCompatibleServer.DEFAULT_APP_ROLE);
        }
        return graph;
    }

    private static Map<String, Object> graphSource(GraphCompatibleServer graph) {
        GraphCompatibleServer.Options o = graph.options();
        return Map.of("type", "MICROSOFT_GRAPH", "graph", Map.of("tenantId", o.tenantId(), "clientId", o.clientId(),
                "clientSecret", o.clientSecret(), "servicePrincipalId", o.servicePrincipalId(), "authorityUrl",
                graph.authorityUrl(), "graphUrl", graph.baseUrl()));
    }

    private static String createFileJob(Tenant tenant, Path file) {
        return createJob(tenant, Map.of("type", "DIRECTORY_FILE", "directoryFile", file.toString()));
    }

    private static String createJob(Tenant tenant, Map<String, Object> source) {
        Map<String, Object> job = new HashMap<>();
        job.put("name", "Druva (reliability " + tenant.name() + ")");
        job.put("tenantUrl", tenant.druva().baseUrl());
        job.put("secretToken", tenant.druva().settings().token());
        job.put("provisioningStatus", "On");
        job.put("cycleInterval", "PT1H");
        job.put("source", source);
        String id = system.jobs().create(job);
        jobIds.add(id);
        return id;
    }

    /** When the tenant last stored something (its last successful create or update). */
    private static Instant lastWrite(DruvaScimServer druva) {
        return druva.requests().stream()
                .filter(r -> !r.method().equals("GET") && r.status() >= 200 && r.status() < 300)
                .map(RecordedRequest::timestamp).max(Instant::compareTo).orElseThrow();
    }

    private static Instant firstRequest(DruvaScimServer druva) {
        return druva.requests().stream().map(RecordedRequest::timestamp).min(Instant::compareTo).orElseThrow();
    }

    private static Instant lastRequest(DruvaScimServer druva) {
        return druva.requests().stream().map(RecordedRequest::timestamp).max(Instant::compareTo)
                .orElse(Instant.EPOCH);
    }
}
