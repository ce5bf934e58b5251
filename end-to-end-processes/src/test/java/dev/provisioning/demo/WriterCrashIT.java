package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.druva.DruvaUser;
import dev.provisioning.events.Json;

/**
 * Killing the scim-writer five times at random points while it provisions 2,000 users leaves exactly the state an
 * undisturbed run leaves: every user created once, active, with the right attributes; the provisioning log shows a
 * Create for each and nothing else, and the recovery costs no more than 10 % extra requests. The first kill lands while
 * the change-detector still emits the cycle (ChaosIT's "writer killed while emitting"), and the cycle completes within
 * two minutes of the last restart with a result for every user.
 */
@ExtendWith(SharedLocalSystem.class)
class WriterCrashIT {

    static final int USERS = 2_000;
    static LocalSystem system;
    static Path directory;

    @BeforeAll
    static void start(LocalSystem shared) throws Exception {
        Path work = SharedLocalSystem.work("it-writer-crash");
        Files.createDirectories(work);
        directory = work.resolve("directory.json");
        Files.writeString(directory, Json.write(directory(USERS)));
        // the writer runs at 200 requests/s: fast enough to finish in seconds, slow enough that five crashes land in
        // the middle of the run (the test checks that they did)
        system = shared;
        system.druva().settings(s -> s.latency(Duration.ofMillis(5)));
    }

    @Test
    void fiveCrashesOfTheWriterLoseNothingAndDuplicateNothing() {
        Random random = new Random(20261126);
        TreeSet<Integer> killPoints = new TreeSet<>();
        while (killPoints.size() < 5) {
            killPoints.add(100 + random.nextInt(USERS - 300) / 50 * 50);
        }
        String jobId = system.jobs().create(job());

        ServiceProcess writer = system.service("scim-writer");
        List<Integer> killedAt = new ArrayList<>();
        String statusAtFirstKill = null;
        for (int point : killPoints) {
            await().atMost(Waits.CYCLE).until(() -> system.druva().users().size() >= point);
            writer.kill();
            killedAt.add(system.druva().users().size());
            if (statusAtFirstKill == null) {
                statusAtFirstKill = system.jobs().status(jobId).path("currentCycle").path("status").asText();
            }
            writer.start().awaitReady(Waits.OUTCOME);
        }
        assertThat(killedAt).as("every crash happened mid-run").allSatisfy(n -> assertThat(n).isLessThan(USERS));
        assertThat(statusAtFirstKill).as("the cycle at the first kill: the detector still emitting").isEqualTo(
                "RUNNING");

        // within two minutes of the last restart, as ChaosIT's cases converge
        JsonNode[] completed = new JsonNode[1];
        await().atMost(Waits.OUTCOME).pollInterval(Duration.ofSeconds(1)).until(() -> {
            completed[0] = system.jobs().status(jobId).path("currentCycle");
            return "COMPLETED".equals(completed[0].path("status").asText());
        });
        // a result for every user, each counted as a create (also those whose result a crash lost; the log API pages
        // at 1,000, so the log's Creates are counted by the cycle's summary)
        assertThat(completed[0].path("resultsReceived").asLong()).as("results").isEqualTo(USERS);
        assertThat(completed[0].path("summary").path("created").asLong()).as("created").isEqualTo(USERS);

        List<DruvaUser> users = system.druva().users();
        assertThat(users).hasSize(USERS);
        assertThat(users).extracting(DruvaUser::userName).doesNotHaveDuplicates();
        for (DruvaUser u : users) {
            int n = Integer.parseInt(u.userName().substring(4, u.userName().indexOf('@')));
            assertThat(u.active()).isTrue();
            assertThat(u.email()).isEqualTo(u.userName());
            assertThat(u.displayName()).isEqualTo("User " + n);
            assertThat(u.givenName()).isEqualTo("User");
            assertThat(u.familyName()).isEqualTo(String.valueOf(n));
        }
        // each user was created by exactly one successful POST: a redelivered operation never created a second one
        assertThat(system.druva().requests()).filteredOn(r -> r.method().equals("POST") && r.status() == 201)
                .hasSize(USERS);
        // the log says what really happened to each user: a Create, also for a create whose result a crash lost (not
        // "Skipped, no change"), and nothing else
        assertThat(system.jobs().logs(jobId, "status=Skipped&limit=1000")).as("skipped").isEmpty();
        assertThat(system.jobs().logs(jobId, "status=Failure&limit=1000")).as("failed").isEmpty();
        assertThat(system.jobs().logs(jobId, "action=Update&limit=1000")).as("updated").isEmpty();
        // and recovery did not double the requests: after each restart the initial cycle goes on matching from one
        // paged snapshot (1 request per 100 users), not with a GET per user
        assertThat(system.druva().requests()).as("requests for %d users", USERS).hasSizeLessThanOrEqualTo(
                USERS * 11 / 10);
    }

    private static Map<String, Object> job() {
        Map<String, Object> job = new HashMap<>();
        job.put("name", "Druva (writer crashes)");
        job.put("tenantUrl", system.druva().baseUrl());
        job.put("secretToken", system.druvaToken());
        job.put("provisioningStatus", "On");
        job.put("cycleInterval", "PT1H");
        job.put("source", Map.of("type", "DIRECTORY_FILE", "directoryFile", directory.toString()));
        return job;
    }

    static Map<String, Object> directory(int count) {
        List<Map<String, Object>> users = new ArrayList<>();
        List<Map<String, Object>> assignments = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String upn = "user" + i + "@crash.example";
            users.add(Map.of("id", "u" + i, "userPrincipalName", upn, "mail", upn, "givenName", "User", "surname",
                    String.valueOf(i), "displayName", "User " + i, "mailNickname", "user" + i, "accountEnabled", true));
            assignments.add(Map.of("principalId", "u" + i, "principalType", "User", "appRoleId", "role-user"));
        }
        return Map.of("users", users, "groups", List.of(), "assignments", assignments);
    }
}
