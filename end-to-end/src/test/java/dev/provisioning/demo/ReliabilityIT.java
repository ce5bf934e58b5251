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
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
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
import dev.provisioning.graph.GraphRequest;
import dev.provisioning.localstack.TopicClient;

/**
 * Load, faults and bad input as one suite (issue 12 item 7), on the packaged services: ten jobs at once, each with its
 * own Druva tenant (a Druva-compatible server of its own):
 * <ul>
 * <li>six healthy jobs, each a directory file of {@value #USERS} users;</li>
 * <li>one whose Druva answers slowly (200-400 ms) with a 1 s burst of 429 every 3 s;</li>
 * <li>one whose source is a Microsoft Graph tenant that throttles its first {@value #GRAPH_THROTTLED} calls (429,
 * {@code Retry-After: 2});</li>
 * <li>one deleted mid-cycle ({@value #DELETED_USERS} users, deleted once its Druva holds a first user, so the writer is
 * writing to it, or once {@value #DELETE_AT_EVENTS} of its events are on Kafka, whichever comes first: its cycle is
 * still emitting then, whatever the speed of the rest of the pipeline);</li>
 * <li>one whose directory file is broken ({@code "Users"} for {@code "users"}).</li>
 * </ul>
 * Isolation is asserted causally: the slow tenant is held ({@link DruvaScimServer#hold()}) from before its job is
 * created and the Graph tenant after its 429s ({@link GraphCompatibleServer#hold()}), and every healthy job must end
 * exact (diff 0) while both are held, with the slow tenant still holding no user and Graph having answered nothing but
 * its 429s. A healthy job that waited for a faulty one anywhere in the pipeline could not finish, and the test would
 * fail at the {@link Waits#OUTCOME} ceiling (about ten times what the healthy jobs need here, and below every timer
 * that would end such a wait by itself but the clients' read timeouts): a ceiling, not a speed assertion. Then both
 * are released, and the slow and Graph jobs end exact with each user created by exactly one {@code 201} POST; the
 * broken job's cycle fails with the JSON pointer and sends nothing; the deleted job's tenant stops receiving requests,
 * and its cycle sends at most one assignment event after the {@code DELETE} answered.
 *
 * <p>
 * There is no time ratio here (the "within 1.5 times their time alone"). One of these jobs alone already fills
 * a large share of the machine (about half of two cores and most of the mapper), so n such jobs must take about n times
 * as long whatever the scheduling, and a ratio against alone measures load, not isolation (the 2026-12-01 isolation
 * study, section 3). The ratio is measured where a job alone is bounded by its own tenant (25 requests/s), in the
 * benchmark's {@code isolation} scenario; {@code target/it-reliability/figures.txt} keeps this run's counts.
 */
@ExtendWith(SharedLocalSystem.class)
class ReliabilityIT {

    static final int USERS = 150;
    static final int HEALTHY = 6;
    static final int DELETED_USERS = 1_000;
    static final int GRAPH_THROTTLED = 4;
    static final int DELETE_AT_EVENTS = 500;

    static LocalSystem system;
    static Path work;
    static final List<AutoCloseable> servers = new ArrayList<>();
    static final List<String> jobIds = new ArrayList<>();

    /** One job and its own Druva tenant. */
    record Tenant(String name, DruvaScimServer druva, String token, TestDirectory expected) {
    }

    @BeforeAll
    static void startSystem(LocalSystem shared) throws Exception {
        work = SharedLocalSystem.work("it-reliability");
        Files.createDirectories(work);
        system = shared;
    }

    @AfterAll
    static void stopTenants() throws Exception {
        // a failed test may leave a tenant held: its cycle could then never end, and the next class waits for cycles
        releaseAll();
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

        // the two faulty tenants stop answering before their jobs exist: the slow tenant's first call parks (its 429
        // bursts still answer), and Graph answers its 429s first, then parks the call after them
        slow.druva().hold();
        graph.throttleNext(GRAPH_THROTTLED, Duration.ofSeconds(2));
        graph.hold();

        // one job is deleted mid-cycle; its events are counted from the topic's end before it exists. Emitting one
        // event at a time, its cycle needs about 10 s for its 1,000 events, while the writer may reach its tenant only
        // after the healthy jobs' backlog (a cold machine with one core busy once emitted all 1,000 before its tenant
        // held 50 users): so the DELETE comes at its tenant's first user or half its events, whichever is first
        List<Tenant> ending = new ArrayList<>();
        String deletedId;
        String brokenId;
        int eventsAtDelete;
        long deleteAnswered;
        try (NewRecords assignments = new NewRecords(Topics.ASSIGNMENTS)) {
            for (Tenant t : healthy) {
                createFileJob(t, directoryFile(t));
                ending.add(t);
            }
            createFileJob(slow, directoryFile(slow));
            createJob(throttled, graphSource(graph));
            ending.add(slow);
            ending.add(throttled);
            deletedId = createJob(deleted, Map.of("type", "DIRECTORY_FILE", "directoryFile",
                    directoryFile(deleted).toString()));
            brokenId = createJob(broken, Map.of("type", "DIRECTORY_FILE", "directoryFile", brokenFile.toString()));

            await("the deleted job mid-cycle").atMost(Waits.CYCLE).pollInSameThread()
                    .until(() -> !deleted.druva().users().isEmpty()
                            || assignments.count(r -> ofJob(r, deletedId)) >= DELETE_AT_EVENTS);
            HttpResponse<String> deletion = system.jobs().exchange("DELETE", "/jobs/" + deletedId, null);
            deleteAnswered = Instant.now().toEpochMilli();
            assertThat(deletion.statusCode()).as("DELETE /jobs/{id}: %s", deletion.body()).isEqualTo(204);
            eventsAtDelete = assignments.count(r -> ofJob(r, deletedId));
        }
        int deletedAt = deleted.druva().users().size();

        // both faulty jobs are really waiting on their tenants
        await("the slow tenant to park a call").atMost(Waits.CYCLE).pollInterval(Duration.ofMillis(200))
                .until(() -> slow.druva().parked() > 0);
        await("Graph to answer its 429s and park the call after them").atMost(Waits.CYCLE)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> graph.parked() > 0 && graphAnswers(graph).size() == GRAPH_THROTTLED);

        // isolation: every healthy job ends exact while the faulty two are held. The ceiling is Waits.OUTCOME, not
        // Waits.CYCLE: below the writer's lanes.max-wait (5 min), after which a lane's waiting records are deferred, so
        // a coupling that only such a timer would end still fails here; and below Graph's budget for the parked call
        // (two more attempts of 60 s, about 136 s), so the hold alone never fails the Graph cycle. A writer call that
        // times out meanwhile (30 s) is retried and parks again; what the released calls do is guarded by the id map
        // and the match (one 201 per user, asserted below)
        await("every healthy job's final state while the slow and Graph tenants are held").atMost(Waits.OUTCOME)
                .pollInterval(Duration.ofMillis(200)).untilAsserted(() -> assertThat(healthy)
                        .allSatisfy(t -> assertThat(t.expected().diff(t.druva())).as("diff of %s", t.name()).isZero()));
        int slowParked = slow.druva().parked();
        int graphParked = graph.parked();
        List<RecordedRequest> slowWhileHeld = slow.druva().requests();
        assertThat(slowParked).as("calls parked in the slow tenant").isPositive();
        assertThat(slow.druva().users()).as("users in the slow tenant while held").isEmpty();
        assertThat(slowWhileHeld).filteredOn(r -> r.status() >= 200 && r.status() < 300)
                .as("calls the slow tenant answered with success while held").isEmpty();
        assertThat(graphParked).as("calls parked in Graph").isPositive();
        assertThat(graphAnswers(graph)).as("Graph calls answered while held: its 429s only")
                .extracting(GraphRequest::status).containsOnly(429).hasSize(GRAPH_THROTTLED);

        // released, the faulty two end exact too, each user created once
        releaseAll();
        for (Tenant t : ending) {
            await("the final state of " + t.name()).atMost(Waits.CYCLE).pollInterval(Duration.ofMillis(200))
                    .until(() -> t.expected().diff(t.druva()) == 0);
        }
        for (Tenant t : ending) {
            t.expected().assertExact(t.druva());
            assertThat(t.druva().requests()).filteredOn(r -> r.method().equals("POST") && r.status() == 201)
                    .as("creates in %s", t.name()).hasSize(USERS);
        }
        assertThat(graph.requests()).filteredOn(r -> r.status() == 429).as("Graph's 429s")
                .hasSize(GRAPH_THROTTLED);

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
        int deadAssignments;
        int deadOperations;
        try (TopicClient kafka = new TopicClient(system.stack().kafka().bootstrapServers())) {
            deletedEvents = kafka.readAll(Topics.ASSIGNMENTS, r -> ofJob(r, deletedId));
            deadAssignments = kafka.readAll(Topics.deadLetter(Topics.ASSIGNMENTS), r -> ofJob(r, deletedId)).size();
            deadOperations = kafka.readAll(Topics.deadLetter(Topics.OPERATIONS), r -> ofJob(r, deletedId)).size();
        }
        long eventsAfterDelete = deletedEvents.stream().filter(r -> r.timestamp() > deleteAnswered).count();
        assertThat(eventsAfterDelete).as("events of the deleted job sent after the DELETE answered")
                .isLessThanOrEqualTo(1);
        assertThat(deletedEvents.size()).as("events of the deleted job").isGreaterThanOrEqualTo(deletedAt)
                .isLessThan(DELETED_USERS);

        // the run's counts (no times: see the class comment)
        StringBuilder report = new StringBuilder();
        report.append(String.format("ReliabilityIT: 10 jobs (%d healthy, slow, throttled Graph, deleted, broken), %d "
                + "objects (%d + %d for the deleted job)%n", HEALTHY, USERS * 9 + DELETED_USERS, USERS * 9,
                DELETED_USERS));
        for (Tenant t : ending) {
            report.append(String.format("  %-10s users %d  diff %d  requests %d  creates (201) %d  429s %d%n",
                    t.name(), t.druva().users().size(), t.expected().diff(t.druva()), t.druva().requests().size(),
                    count(t.druva(), r -> r.method().equals("POST") && r.status() == 201),
                    count(t.druva(), r -> r.status() == 429)));
        }
        report.append(String.format("  while the %d healthy jobs ended exact: the slow tenant held %d calls, had "
                + "answered %d (%d x 429, none with success) and held 0 users; Graph held %d call(s) and had answered "
                + "%d x 429 and nothing else%n", HEALTHY, slowParked,
                slowWhileHeld.stream().filter(r -> r.status() != 0).count(),
                slowWhileHeld.stream().filter(r -> r.status() == 429).count(), graphParked, GRAPH_THROTTLED));
        report.append(String.format("  deleted job: DELETE after %d of its %d events (%d users in its Druva then); %d "
                + "events in all (%d sent after the DELETE answered); its Druva stopped at %d users, %d requests; dead "
                + "letters: %d assignments, %d operations%n", eventsAtDelete, DELETED_USERS, deletedAt,
                deletedEvents.size(), eventsAfterDelete, deletedEnd, deletedRequests, deadAssignments,
                deadOperations));
        report.append(String.format("  broken job: failed with the pointer, %d requests%n",
                broken.druva().requests().size()));
        System.out.print(report);
        Files.writeString(work.resolve("figures.txt"), report);
    }

    /**
     * The records a topic receives from now on: a consumer assigned to every partition at its end offset (no group, no
     * rebalance, nothing committed), counting what it polls.
     */
    private static final class NewRecords implements AutoCloseable {

        private final KafkaConsumer<String, String> consumer;
        private final List<ConsumerRecord<String, String>> seen = new ArrayList<>();

        NewRecords(String topic) {
            Properties config = new Properties();
            config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, system.stack().kafka().bootstrapServers());
            config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // resolves the end offsets now, before anything is created
        }

        /** Polls once (up to 100 ms), then counts the records seen so far that match. */
        int count(Predicate<ConsumerRecord<String, String>> filter) {
            consumer.poll(Duration.ofMillis(100)).forEach(seen::add);
            return (int) seen.stream().filter(filter).count();
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    /** Lets every held tenant answer again. */
    private static void releaseAll() {
        for (AutoCloseable server : servers) {
            if (server instanceof DruvaScimServer druva) {
                druva.release();
            } else if (server instanceof GraphCompatibleServer graph) {
                graph.release();
            }
        }
    }

    /** The Graph calls (not token calls) the server has answered, in order. */
    private static List<GraphRequest> graphAnswers(GraphCompatibleServer graph) {
        return graph.requests().stream().filter(r -> r.path().startsWith("/v1.0/")).toList();
    }

    private static boolean ofJob(ConsumerRecord<String, String> record, String jobId) {
        return record.key() != null && record.key().startsWith(jobId + "/");
    }

    private static long count(DruvaScimServer druva, Predicate<RecordedRequest> filter) {
        return druva.requests().stream().filter(filter).count();
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

    private static Instant lastRequest(DruvaScimServer druva) {
        return druva.requests().stream().map(RecordedRequest::timestamp).max(Instant::compareTo)
                .orElse(Instant.EPOCH);
    }
}
