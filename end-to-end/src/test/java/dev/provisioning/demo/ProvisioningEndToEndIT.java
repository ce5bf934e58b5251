package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.druva.DruvaUser;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalSmtp;
import dev.provisioning.localstack.TopicClient;

/**
 * The packaged services together, as separate processes, on the real embedded infrastructure: the shipped demo
 * directory is provisioned into the Druva-compatible server exactly as Entra would provision it.
 */
@ExtendWith(SharedLocalSystem.class)
class ProvisioningEndToEndIT {

    static final String ADMIN = "admin@contoso.example";
    static LocalSystem system;
    static Path directory;
    static DemoDirectoryExpectations expected;

    @BeforeAll
    static void startSystem(LocalSystem shared) throws Exception {
        Path work = SharedLocalSystem.work("it");
        directory = DemoLauncher.extractDemoDirectory(work.resolve("directory.json"));
        expected = DemoDirectoryExpectations.of(directory);
        system = shared;
        system.druva().settings(s -> s.latency(Duration.ofMillis(5)));
    }

    @BeforeEach
    void emptyDruva() {
        SharedLocalSystem.pauseEarlierJobs(system);
        system.druva().reset();
        system.stack().smtp().purge();
    }

    @Test
    void theDemoDirectoryIsProvisionedAsEntraWould() {
        String jobId = system.jobs().create(job("Druva (e2e)"));

        JsonNode cycle = awaitFirstCycle(jobId);

        // Druva holds every entitled user with an email, once, active; nobody else
        List<DruvaUser> users = system.druva().users();
        assertThat(users).extracting(DruvaUser::userName).containsExactlyInAnyOrderElementsOf(expected.created());
        assertThat(users).allSatisfy(u -> {
            assertThat(u.active()).isTrue();
            assertThat(u.email()).isEqualTo(u.userName());
            assertThat(u.displayName()).isEqualTo(expected.displayNames().get(u.userName()));
        });
        // the cycle's summary says the same (users and groups)
        assertThat(cycle.path("eventsEmitted").asInt()).isEqualTo(expected.objects());
        assertThat(cycle.path("summary").path("created").asLong()).isEqualTo(expected.createdObjects());
        assertThat(cycle.path("summary").path("failed").asLong()).isEqualTo(expected.failedWithoutMail().size());
        assertThat(cycle.path("summary").path("skipped").asLong()).isEqualTo(expected.skippedObjects());
        // one create per created user and group, and none for the users Druva cannot take
        assertThat(system.druva().requests()).filteredOn(r -> r.method().equals("POST") && r.path().endsWith("/Users"))
                .hasSize(expected.created().size());
        assertThat(system.druva().requests())
                .filteredOn(r -> r.method().equals("POST") && r.path().endsWith("/Groups"))
                .hasSize(expected.groups().size());
        // the assigned groups, with their members in Druva (the follow-up cycle adds those still being created)
        awaitGroups();

        // one result per object on the results topic; users without mail failed with MandatoryFieldsMissing
        List<ProvisioningResult> results = results(jobId, cycle.path("cycleId").asText(), expected.objects());
        assertThat(results).extracting(ProvisioningResult::objectId).doesNotHaveDuplicates();
        assertThat(results).filteredOn(r -> r.status() == ProvisioningStatus.Failure)
                .hasSize(expected.failedWithoutMail().size())
                .allSatisfy(r -> assertThat(r.errorCode()).isEqualTo("MandatoryFieldsMissing"));
        JsonNode failures = system.jobs().logs(jobId, "status=Failure&limit=1000");
        assertThat(failures.size()).isEqualTo(expected.failedWithoutMail().size());
        // the users and the group never provisioned are logged as Entra logs them: a skipped Create with the skip
        // reason NotEffectivelyEntitled, for Default Access only and for a disabled user alike (Entra: "skipped with
        // the SkipReason code of NotEffectivelyEntitled ... the user account status was Disabled"); the reason says
        // which it is
        JsonNode skips = system.jobs().logs(jobId, "cycleId=" + cycle.path("cycleId").asText() + "&status=Skipped"
                + "&limit=1000");
        assertThat(skips).hasSize(expected.skippedObjects()).allSatisfy(r -> {
            assertThat(r.path("action").asText()).isEqualTo("Create");
            assertThat(r.path("errorCode").asText()).isEqualTo("NotEffectivelyEntitled");
        });
        assertThat(skips).filteredOn(r -> r.path("reason").asText().contains("disabled in the source"))
                .hasSize(expected.disabled().size());
        assertThat(skips).filteredOn(r -> r.path("reason").asText().contains("Default Access"))
                .hasSize(expected.notEntitled().size() + expected.skippedGroups().size());

        // and the administrator is emailed about them, each failure once (a digest of the class's other jobs, to the
        // same address, can arrive meanwhile: this job's digests name its id). One digest per window: a busy machine
        // may spread the cycle's failures over two windows, so the digests' counts are added up.
        int failed = expected.failedWithoutMail().size();
        await().atMost(Waits.OUTCOME).until(() -> failuresEmailed(jobId) >= failed);
        assertThat(failuresEmailed(jobId)).isEqualTo(failed);
        List<LocalSmtp.Mail> mails = mailsAbout(jobId);
        assertThat(mails).allSatisfy(mail -> {
            assertThat(mail.subject()).contains("Druva (e2e)").contains("(MandatoryFieldsMissing ");
            assertThat(mail.body()).contains("MandatoryFieldsMissing");
        });
        String oneFailed = expected.failedWithoutMail().iterator().next();
        assertThat(mails).anySatisfy(mail -> assertThat(mail.body()).contains(expected.displayNames().get(oneFailed)));
    }

    /** The failures the digests about one job counted, added up. */
    private static int failuresEmailed(String jobId) {
        return Digests.failuresCounted(mailsAbout(jobId));
    }

    @Test
    void killingTheWriterMidRunLosesNothingAndDuplicatesNothing() {
        // slow progress, so that the kill lands mid-run: the shared system's writer may send 200 requests/s, and
        // Druva answering in 200 ms holds it to about 25 requests/s (the writer's default rate)
        system.druva().settings(s -> s.latency(Duration.ofMillis(200)));
        try {
            String jobId = system.jobs().create(job("Druva (writer crash)"));
            await().atMost(Waits.CYCLE).until(() -> system.druva().users().size() >= 40);

            ServiceProcess writer = system.service("scim-writer");
            writer.kill();
            assertThat(writer.isAlive()).isFalse();
            int createdBeforeCrash = system.druva().users().size();
            assertThat(createdBeforeCrash).isLessThan(expected.created().size());
            writer.start().awaitReady(Waits.OUTCOME);

            JsonNode cycle = awaitFirstCycle(jobId);

            List<DruvaUser> users = system.druva().users();
            assertThat(users).extracting(DruvaUser::userName).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(expected.created());
            assertThat(users).allSatisfy(u -> assertThat(u.active()).isTrue());
            assertThat(cycle.path("resultsReceived").asLong()).isEqualTo(expected.objects());
            assertThat(cycle.path("summary").path("failed").asLong()).isEqualTo(expected.failedWithoutMail().size());
            awaitGroups();
            assertThat(system.druva().groups()).extracting(g -> g.displayName()).doesNotHaveDuplicates();
        } finally {
            system.druva().settings(s -> s.latency(Duration.ofMillis(5)));
        }
    }

    @Test
    void changingAScopingFilterReevaluatesEveryoneAndDisablesThoseWhoFallOutWithoutDeletingThem() throws Exception {
        Map<String, Object> job = job("Druva (scoping change)");
        // most of the demo's users fall out of scope here: over the deletion threshold's default share (20 %) that
        // holds their disables (DeletionThresholdIT); this test is about what a scoping change does once allowed
        job.put("deletionThresholdPercent", 0);
        String jobId = system.jobs().create(job);
        String first = awaitFirstCycle(jobId).path("cycleId").asText();
        assertThat(system.druva().users()).hasSize(expected.created().size());

        job.remove("secretToken"); // kept as it is
        job.put("userScopingFilters", List.of(Map.of("name", "Engineering only", "clauses",
                List.of(Map.of("attribute", "department", "operator", "EQUALS", "value", "Engineering")))));
        system.jobs().update(jobId, job);

        JsonNode second = awaitCompletedCycleAfter(jobId, first);
        assertThat(second.path("fullCycle").asBoolean()).as("a changed filter starts a full cycle").isTrue();
        Set<String> engineering = new HashSet<>();
        for (JsonNode u : Json.mapper().readTree(directory.toFile()).path("users")) {
            if ("Engineering".equals(u.path("department").asText())) {
                engineering.add(u.path("userPrincipalName").asText());
            }
        }
        List<DruvaUser> users = system.druva().users();
        // nobody is deleted: those out of scope are disabled (Preserved in Druva), the rest stay active
        assertThat(users).extracting(DruvaUser::userName).containsExactlyInAnyOrderElementsOf(expected.created());
        assertThat(users).filteredOn(DruvaUser::active).extracting(DruvaUser::userName)
                .containsExactlyInAnyOrderElementsOf(
                        expected.created().stream().filter(engineering::contains).toList());
        assertThat(users).filteredOn(u -> !u.active()).isNotEmpty()
                .allSatisfy(u -> assertThat(u.status()).isEqualTo(DruvaUser.PRESERVED));
        assertThat(system.druva().requests()).noneMatch(r -> r.method().equals("DELETE"));
    }

    /** The first full cycle after {@code previousCycleId}, once completed (follow-up cycles are incremental). */
    private static JsonNode awaitCompletedCycleAfter(String jobId, String previousCycleId) {
        JsonNode[] cycle = new JsonNode[1];
        await().atMost(Waits.CYCLE).pollInterval(Duration.ofMillis(500)).until(() -> {
            cycle[0] = null;
            system.jobs().status(jobId).path("recentCycles").forEach(c -> {
                if (!previousCycleId.equals(c.path("cycleId").asText()) && c.path("fullCycle").asBoolean()) {
                    cycle[0] = c;
                }
            });
            return cycle[0] != null && "COMPLETED".equals(cycle[0].path("status").asText());
        });
        return cycle[0];
    }

    /** The job's first cycle (the oldest of its recent cycles), once completed. */
    private static JsonNode awaitFirstCycle(String jobId) {
        JsonNode[] cycle = new JsonNode[1];
        await().atMost(Waits.CYCLE).pollInterval(Duration.ofMillis(500)).until(() -> {
            JsonNode recent = system.jobs().status(jobId).path("recentCycles");
            if (recent.isEmpty()) {
                return false;
            }
            JsonNode first = recent.get(recent.size() - 1);
            assertThat(first.path("status").asText()).as("cycle status").isNotEqualTo("FAILED");
            cycle[0] = first;
            return "COMPLETED".equals(first.path("status").asText());
        });
        return cycle[0];
    }

    /** Waits until Druva holds exactly the expected groups, each with exactly its expected members. */
    private static void awaitGroups() {
        await("groups and their members").atMost(Waits.CYCLE).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    Map<String, String> userNames = new HashMap<>();
                    system.druva().users().forEach(u -> userNames.put(u.id(), u.userName()));
                    Map<String, Set<String>> groups = new HashMap<>();
                    system.druva().groups().forEach(g -> {
                        Set<String> members = new HashSet<>();
                        g.memberIds().forEach(id -> members.add(userNames.getOrDefault(id, id)));
                        groups.put(g.displayName(), members);
                    });
                    assertThat(groups).isEqualTo(expected.groups());
                });
    }

    private static List<ProvisioningResult> results(String jobId, String cycleId, int count) {
        try (TopicClient kafka = new TopicClient(system.stack().kafka().bootstrapServers())) {
            return kafka.read(Topics.RESULTS, r -> r.key().startsWith(jobId + "/")
                    && cycleId.equals(EventChecks.result(r.value()).cycleId()), count, Waits.OUTCOME)
                    .stream().map(r -> EventChecks.result(r.value())).toList();
        }
    }

    /** The emails to the administrator about one job. */
    private static List<LocalSmtp.Mail> mailsAbout(String jobId) {
        return system.stack().smtp().mails().stream()
                .filter(m -> m.to().contains(ADMIN) && m.subject().contains("(" + jobId + ")")).toList();
    }

    private static Map<String, Object> job(String name) {
        Map<String, Object> job = new HashMap<>();
        job.put("name", name);
        job.put("tenantUrl", system.druva().baseUrl());
        job.put("secretToken", system.druvaToken());
        job.put("notificationEmail", ADMIN);
        job.put("notifyOnFailure", true);
        job.put("provisioningStatus", "On");
        job.put("cycleInterval", "PT1H");
        job.put("source", Map.of("type", "DIRECTORY_FILE", "directoryFile", directory.toString()));
        return job;
    }

}
