package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.druva.DruvaUser;

/**
 * Entra's accidental-deletion threshold end to end: with the threshold at 500, unassigning 600 provisioned users holds
 * all 600 disables (nobody is disabled in Druva) until the administrator allows deletes; then all 600 are disabled.
 */
@ExtendWith(SharedLocalSystem.class)
class DeletionThresholdIT {

    static final int USERS = 600;
    static LocalSystem system;
    static Path directory;

    @BeforeAll
    static void startSystem(LocalSystem shared) throws Exception {
        Path work = SharedLocalSystem.work("it-deletion-threshold");
        Files.createDirectories(work);
        directory = work.resolve("directory.json");
        Files.writeString(directory, GeneratedDirectory.users("held", USERS, USERS));
        // the shared system's writer (200 requests/s) provisions and then disables 600 users in seconds
        system = shared;
        system.druva().settings(s -> s.latency(Duration.ofMillis(2)));
    }

    @Test
    void unassigning600UsersOverAThresholdOf500HoldsThemUntilDeletesAreAllowed() throws Exception {
        Map<String, Object> job = new HashMap<>();
        job.put("name", "Druva (deletion threshold)");
        job.put("tenantUrl", system.druva().baseUrl());
        job.put("secretToken", system.druvaToken());
        job.put("provisioningStatus", "On");
        job.put("cycleInterval", "PT10S");
        job.put("deletionThreshold", 500);
        job.put("source", Map.of("type", "DIRECTORY_FILE", "directoryFile", directory.toString()));
        String jobId = system.jobs().create(job);
        await().atMost(Waits.CYCLE).pollInterval(Duration.ofSeconds(1))
                .until(() -> system.druva().users().stream().filter(DruvaUser::active).count() == USERS);

        Files.writeString(directory, GeneratedDirectory.users("held", USERS, 0));

        await().atMost(Waits.CYCLE).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            JsonNode status = system.jobs().status(jobId);
            assertThat(status.path("heldDeletions").asLong()).isEqualTo(USERS);
            assertThat(status.path("quarantine").path("reason").asText()).isEqualTo("DeletionThresholdExceeded");
        });
        assertThat(system.druva().users()).hasSize(USERS).allSatisfy(u -> assertThat(u.active()).isTrue());
        assertThat(system.druva().requests()).filteredOn(r -> r.method().equals("PATCH")).isEmpty();

        JsonNode release = system.jobs().allowDeletes(jobId);
        assertThat(release.path("released").asInt()).isEqualTo(USERS);

        await().atMost(Waits.CYCLE).pollInterval(Duration.ofSeconds(1))
                .until(() -> system.druva().users().stream().noneMatch(DruvaUser::active));
        assertThat(system.druva().users()).hasSize(USERS)
                .allSatisfy(u -> assertThat(u.status()).isEqualTo(DruvaUser.PRESERVED));
        await().atMost(Waits.OUTCOME).untilAsserted(() -> {
            JsonNode status = system.jobs().status(jobId);
            assertThat(status.path("heldDeletions").asLong()).isZero();
            assertThat(status.path("quarantine").isNull() || status.path("quarantine").isMissingNode()).isTrue();
            JsonNode releaseCycle = null;
            for (JsonNode c : status.path("recentCycles")) {
                if (c.path("cycleId").asText().equals(release.path("cycleId").asText())) {
                    releaseCycle = c;
                }
            }
            assertThat(releaseCycle).as("the release cycle in the recent cycles").isNotNull();
            assertThat(releaseCycle.path("status").asText()).isEqualTo("COMPLETED");
            assertThat(releaseCycle.path("summary").path("disabled").asLong()).isEqualTo(USERS);
        });
    }
}
