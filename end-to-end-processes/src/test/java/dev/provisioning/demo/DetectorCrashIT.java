package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.druva.DruvaUser;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.TopicClient;

/**
 * The change-detector is killed in the middle of the initial cycle of 500 users, then started again: the end state in
 * Druva is the one an undisturbed run reaches, nothing is created twice, and the cycle that completes has exactly one
 * result per object. The detector emits one event at a time here ({@code DETECTOR_EMIT_CONCURRENCY=1}, about 70 events
 * a second on a loaded two-core machine) so the kill, as soon as the cycle runs, lands while it is still emitting; the claim left by the dead process is no longer renewed by its heartbeat
 * and is taken over once the default lease (30 s) has passed: the interrupted cycle resumes within a minute of the
 * restart (issue 12: the claim is not the clock; it was 15 minutes).
 */
@ExtendWith(SharedLocalSystem.class)
class DetectorCrashIT {

    /**
     * Enough for the cycle to be still emitting when it is killed (seconds at one event at a time; the kill comes as
     * soon as it runs, the test checks that Druva did not hold them all then). It was 2,000: the resumed cycle emits
     * them all again, one at a time, and took 30 of the class's 65 s (2026-12-02).
     */
    static final int USERS = 500;
    static LocalSystem system;
    static Path directory;

    @BeforeAll
    static void startSystem(LocalSystem shared) throws Exception {
        Path work = SharedLocalSystem.work("it-detector-crash");
        Files.createDirectories(work);
        directory = work.resolve("directory.json");
        Files.writeString(directory, GeneratedDirectory.users("crash", USERS, USERS));
        // the shared system's detector emits one event at a time (DETECTOR_EMIT_CONCURRENCY=1) and takes over a dead
        // replica's claim after the default lease (30 s); its writer works through the users quickly (200/s)
        system = shared;
        system.druva().settings(s -> s.latency(Duration.ofMillis(2)));
    }

    @Test
    void killingTheDetectorMidCycleEndsInTheUndisturbedStateWithNoEventLost() {
        String jobId = system.jobs().create(directoryFileJob(system, "Druva (detector crash)", directory));

        // kill it while the cycle reads and emits (RUNNING)
        String[] killedCycle = {awaitRunningCycle(system, jobId)};
        ServiceProcess detector = system.service("change-detector");
        detector.kill();
        int createdAtCrash = system.druva().users().size();
        assertThat(createdAtCrash).as("users in Druva when the detector died").isLessThan(USERS);
        detector.start().awaitReady(Waits.OUTCOME);
        Instant restarted = Instant.now();

        // the interrupted cycle resumes (a new cycle of the job starts) within a minute of the restart
        JsonNode[] resumed = new JsonNode[1];
        await().atMost(Waits.CYCLE).pollInterval(Duration.ofMillis(500)).until(() -> {
            resumed[0] = system.jobs().status(jobId).path("currentCycle");
            return !resumed[0].path("cycleId").asText("").equals(killedCycle[0])
                    && !resumed[0].path("startedAt").isMissingNode();
        });
        Instant resumedAt = OffsetDateTime.parse(resumed[0].path("startedAt").asText()).toInstant();
        assertThat(Duration.between(restarted, resumedAt)).as("from the restart to the resumed cycle's start")
                .isLessThan(Duration.ofMinutes(1));

        JsonNode cycle = awaitCompletedCycle(system, jobId, killedCycle[0]);

        // the state an undisturbed run reaches: every user once, active, with its name
        List<DruvaUser> users = system.druva().users();
        assertThat(users).hasSize(USERS);
        assertThat(users).extracting(DruvaUser::userName).doesNotHaveDuplicates();
        assertThat(users).allSatisfy(u -> {
            int i = Integer.parseInt(u.userName().substring(4, u.userName().indexOf('@')));
            assertThat(u.userName()).isEqualTo("user" + i + "@crash.example");
            assertThat(u.displayName()).isEqualTo("User " + i);
            assertThat(u.active()).isTrue();
        });
        assertThat(system.druva().requests()).filteredOn(r -> r.method().equals("POST"))
                .as("users created").hasSize(USERS);

        // the completed cycle has every object, each with exactly one result
        assertThat(cycle.path("eventsEmitted").asInt()).isEqualTo(USERS);
        assertThat(cycle.path("resultsReceived").asLong()).isEqualTo(USERS);
        assertThat(cycle.path("summary").path("failed").asLong()).isZero();
        Map<String, Long> outcomesPerObject = resultsPerObject(system, jobId, cycle.path("cycleId").asText());
        assertThat(outcomesPerObject).hasSize(USERS);
        assertThat(outcomesPerObject.values()).containsOnly(1L);
    }

    /** Waits until the job's current cycle runs (reads and emits); returns its id. */
    static String awaitRunningCycle(LocalSystem system, String jobId) {
        String[] cycleId = new String[1];
        await().atMost(Waits.CYCLE).pollInterval(Duration.ofMillis(50)).until(() -> {
            JsonNode current = system.jobs().status(jobId).path("currentCycle");
            cycleId[0] = current.path("cycleId").asText(null);
            return "RUNNING".equals(current.path("status").asText(null));
        });
        return cycleId[0];
    }

    /** Waits for a completed cycle other than the one that was interrupted while emitting. */
    static JsonNode awaitCompletedCycle(LocalSystem system, String jobId, String interrupted) {
        JsonNode[] cycle = new JsonNode[1];
        await().atMost(Waits.CYCLE).pollInterval(Duration.ofSeconds(1)).until(() -> {
            JsonNode current = system.jobs().status(jobId).path("currentCycle");
            cycle[0] = current;
            return "COMPLETED".equals(current.path("status").asText())
                    && !current.path("cycleId").asText().equals(interrupted);
        });
        return cycle[0];
    }

    /** How many distinct results each object of the job has in the cycle, from the results topic. */
    static Map<String, Long> resultsPerObject(LocalSystem system, String jobId, String cycleId) {
        try (TopicClient kafka = new TopicClient(system.stack().kafka().bootstrapServers())) {
            List<ProvisioningResult> results = kafka.readAll(Topics.RESULTS, r -> r.key().startsWith(jobId + "/"))
                    .stream().map(r -> EventChecks.result(r.value())).filter(r -> r.cycleId().equals(cycleId))
                    .toList();
            return results.stream().collect(Collectors.groupingBy(ProvisioningResult::objectId,
                    Collectors.mapping(ProvisioningResult::resultId, Collectors.collectingAndThen(
                            Collectors.toSet(), set -> (long) set.size()))));
        }
    }

    /** A job provisioning from {@code directory}, On, every hour, to the system's Druva-compatible server. */
    static Map<String, Object> directoryFileJob(LocalSystem system, String name, Path directory) {
        Map<String, Object> job = new HashMap<>();
        job.put("name", name);
        job.put("tenantUrl", system.druva().baseUrl());
        job.put("secretToken", system.druvaToken());
        job.put("provisioningStatus", "On");
        job.put("cycleInterval", "PT1H");
        job.put("source", Map.of("type", "DIRECTORY_FILE", "directoryFile", directory.toString()));
        return job;
    }
}
