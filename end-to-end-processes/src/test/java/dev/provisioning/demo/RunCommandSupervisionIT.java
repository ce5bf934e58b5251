package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.provisioning.druva.DruvaUser;
import dev.provisioning.events.Json;
import dev.provisioning.localstack.LocalSmtp;

/**
 * The run command supervises its services as Kubernetes would (issue 12 item 6): the run command's own code
 * ({@link Supervisor} and {@link DemoLauncher#provision}, what {@code java -jar demo-launcher.jar} runs once the system
 * is up) on the shared system; the change-detector is killed with {@code kill -9} twice in a row. Each time it is
 * restarted (after 1 s, then after 2 s: the back-off doubles), the exit code is logged, it answers healthy again with
 * a new process, and the run goes on: an edit of the directory file after the crashes is provisioned and summarised.
 * Then the four services are stopped cleanly, as the run command stops them (Ctrl-C, SIGTERM, {@code --exit}), while
 * a cycle is under way and the writer's operations wait for Druva: no service logs a WARN or an ERROR, from the stop
 * through the start again, the mapper-service tells what its stop drained, and once they are started again the cycle's work is done (the edit in Druva, each user
 * once, the failure it raised emailed once).
 */
@ExtendWith(SharedLocalSystem.class)
class RunCommandSupervisionIT {

    static final Pattern SUMMARY = Pattern.compile("(?m)^Cycle \\S+ completed in ");
    static final Pattern CREATED = Pattern.compile("(?m)^Created job (\\S+):");
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static LocalSystem system;
    static Path directory;
    static DemoDirectoryExpectations expected;

    final ByteArrayOutputStream printed = new ByteArrayOutputStream();

    @BeforeAll
    static void startSystem(LocalSystem shared) throws Exception {
        Path work = SharedLocalSystem.work("it-supervision");
        directory = DemoLauncher.extractDemoDirectory(work.resolve("directory.json"));
        expected = DemoDirectoryExpectations.of(directory);
        system = shared;
        system.druva().settings(s -> s.latency(Duration.ofMillis(5)));
    }

    @Test
    void aServiceKilledWithKill9IsRestartedWithBackoffAndTheRunsSummariesGoOn() throws Exception {
        PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
        AtomicBoolean stopping = new AtomicBoolean();
        DemoLauncher launcher = new DemoLauncher(out);
        try (Supervisor supervisor = Supervisor.start(system, line -> out.println("  [supervisor] " + line))) {
            Thread run = new Thread(() -> launcher.provision(system, directory, false, stopping::get), "run-command");
            run.setDaemon(true);
            run.start();
            try {
                // the first cycle and its follow-up (the groups' members) are summarised
                await("the first summary").atMost(Waits.CYCLE).until(() -> summaries(printed()) >= 1);
                await("the demo directory in Druva").atMost(Waits.CYCLE).until(() -> system.druva().users().stream()
                        .map(DruvaUser::userName).toList().containsAll(expected.created()));
                // and the follow-up is over: a detector killed while it runs leaves the job's claim to expire (the
                // lease, 30 s) before the run goes on (2026-12-02: 24 of the class's 44 s); DetectorCrashIT's subject
                await("the first cycle's follow-up").atMost(Waits.CYCLE).pollInterval(Duration.ofMillis(200))
                        .until(this::followUpCompleted);

                // kill -9, twice in a row: restarted after 1 s, then after 2 s
                ServiceProcess detector = system.service("change-detector");
                for (int crash = 1; crash <= 2; crash++) {
                    long pid = detector.pid();
                    int before = supervisor.restarts().size();
                    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
                    await("the restart of the change-detector").atMost(Waits.OUTCOME)
                            .until(() -> supervisor.restarts().size() > before
                                    && supervisor.restarts().get(before).readyAt() != null);
                    Supervisor.Restart restart = supervisor.restarts().get(before);
                    assertThat(restart.service()).isEqualTo("change-detector");
                    assertThat(restart.exitCode()).isEqualTo(137);
                    assertThat(restart.crashesInARow()).isEqualTo(crash);
                    assertThat(restart.backoff()).isEqualTo(Supervisor.FIRST_BACKOFF.multipliedBy(crash));
                    assertThat(detector.pid()).isEqualTo(restart.pid()).isNotEqualTo(pid);
                    assertThat(ready(detector)).as("/q/health/ready of the restarted detector").isEqualTo(200);
                }
                assertThat(printed()).contains("[supervisor] change-detector exited with code 137 (SIGKILL); "
                        + "restarting in 1 s")
                        .contains("[supervisor] change-detector exited with code 137 (SIGKILL); restarting in 2 s "
                                + "(crash 2 in a row)")
                        .contains("[supervisor] change-detector is back");

                // the run goes on: an edit after the crashes is provisioned and summarised
                int printedBeforeEdit = printed().length();
                Iterator<String> users = expected.created().iterator();
                String renamed = rename(users.next(), "Renamed After Two Crashes");
                await("the summary of the edit").atMost(Waits.OUTCOME).until(() -> {
                    String since = printed().substring(printedBeforeEdit);
                    return summaries(since) >= 1 && since.contains("updated 1 |");
                });
                assertThat(system.druva().users()).filteredOn(u -> u.userName().equals(renamed))
                        .extracting(DruvaUser::displayName).containsExactly("Renamed After Two Crashes");
                assertThat(run.isAlive()).as("the run command's loop").isTrue();

                aCleanStopDuringACycleLogsNoWarningAndItsWorkIsDoneAfterTheStart(users.next());
            } finally {
                stopping.set(true);
                run.join(Waits.OUTCOME.toMillis());
                System.out.println("RunCommandSupervisionIT, what the run command printed:\n" + printed());
            }
        }
    }

    /**
     * The services stopped as the run command stops them ({@link LocalSystem#stopServices()}: SIGTERM to each, all at
     * once) while a cycle with a rename, a new user and a new user without mail is under way, its Druva requests held
     * by Druva ({@code hold}: the writer's operations are in flight at the stop, and abandoned after the writer's stop
     * grace), then started again: no WARN or ERROR line ({@link ServiceLogs#faults}). Before, the writer's records left
     * unacked made SmallRye wait 5 s as it closed the channel and warn (SRMSG18245). The held requests are let go while
     * the services are down, so Druva carries them out as a tenant that received them would: the restarted writer
     * finds the new user there (its create answered 409) and links it, so it is in Druva once.
     */
    private void aCleanStopDuringACycleLogsNoWarningAndItsWorkIsDoneAfterTheStart(String renamed) throws Exception {
        Map<ServiceProcess, Long> logsBefore = new LinkedHashMap<>();
        for (String name : LocalSystem.SERVICES.keySet()) {
            ServiceProcess service = system.service(name);
            logsBefore.put(service, Files.size(service.logFile()));
        }
        String jobId = jobId();
        String lastCycle = system.jobs().status(jobId).path("recentCycles").get(0).path("cycleId").asText();
        // the first cycle's failures are emailed before the stop (their 20 s window may still be open after the crashes
        // and the rename): the new failure's digest is then its own
        await("the first cycle's digest").atMost(Waits.OUTCOME)
                .until(() -> Digests.failuresCounted(digestsSince(jobId, 0)) >= expected.failedWithoutMail().size());
        int mailsBefore = system.stack().smtp().mails().size();
        edit(root -> {
            for (JsonNode user : root.path("users")) {
                if (user.path("userPrincipalName").asText().equals(renamed)) {
                    ((ObjectNode) user).put("displayName", "Renamed Before A Clean Stop");
                }
            }
            String appRole = root.path("assignments").get(0).path("appRoleId").asText();
            ((ArrayNode) root.path("users")).addObject().put("id", NEW_USER_ID)
                    .put("userPrincipalName", "stopped.midcycle@contoso.example").put("givenName", "Stopped")
                    .put("surname", "Midcycle").put("displayName", "Stopped Midcycle")
                    .put("mailNickname", "stopped.midcycle").put("accountEnabled", true);
            ((ArrayNode) root.path("assignments")).addObject().put("principalId", NEW_USER_ID)
                    .put("principalType", "User").put("appRoleId", appRole);
            ((ArrayNode) root.path("users")).addObject().put("id", CREATED_USER_ID)
                    .put("userPrincipalName", CREATED_USER).put("mail", CREATED_USER).put("givenName", "Created")
                    .put("surname", "Midcycle").put("displayName", "Created Midcycle")
                    .put("mailNickname", "created.midcycle").put("accountEnabled", true);
            ((ArrayNode) root.path("assignments")).addObject().put("principalId", CREATED_USER_ID)
                    .put("principalType", "User").put("appRoleId", appRole);
        });
        // the writer's requests wait for Druva until the services are down: its operations are in flight at the stop
        system.druva().hold();
        try {
            await("the edit's cycle to start").atMost(Waits.OUTCOME).pollInterval(Duration.ofMillis(100))
                    .until(() -> !system.jobs().status(jobId).path("recentCycles").get(0).path("cycleId").asText()
                            .equals(lastCycle));
            await("the writer's requests of the edit held by Druva").atMost(Waits.OUTCOME)
                    .pollInterval(Duration.ofMillis(100)).until(() -> system.druva().parked() >= 2);

            system.stopServices();
        } finally {
            system.druva().release();
        }
        assertThat(logsBefore.keySet()).noneMatch(ServiceProcess::isAlive);
        ServiceProcess writer = system.service("scim-writer");
        assertThat(linesSince(writer.logFile(), logsBefore.get(writer))).as("the writer's stop")
                .anyMatch(line -> ABANDONED.matcher(line).find());
        ServiceProcess mapper = system.service("mapper-service");
        assertThat(linesSince(mapper.logFile(), logsBefore.get(mapper))).as("the mapper's stop")
                .anyMatch(line -> MAPPER_DRAINED.matcher(line).find());
        logsBefore.keySet().forEach(ServiceProcess::start);
        logsBefore.keySet().forEach(s -> s.awaitReady(Waits.OUTCOME));

        await("the rename in Druva").atMost(Waits.OUTCOME).until(() -> system.druva().users().stream()
                .anyMatch(u -> u.userName().equals(renamed) && u.displayName().equals("Renamed Before A Clean Stop")));
        await("the new user in Druva, linked").atMost(Waits.OUTCOME).until(() -> resultsOf(jobId, CREATED_USER_ID)
                .stream().anyMatch(r -> r.path("status").asText().equals("Success")));
        assertThat(system.druva().users()).extracting(DruvaUser::userName).doesNotHaveDuplicates()
                .containsOnlyOnce(CREATED_USER);
        // the new user's failure is the only one since: its digest, once
        await("the new failure's digest").atMost(Waits.OUTCOME)
                .until(() -> digestsSince(jobId, mailsBefore).size() >= 1);
        await().during(Waits.QUIET).atMost(Waits.QUIET_CEILING)
                .until(() -> digestsSince(jobId, mailsBefore).size() == 1);
        assertThat(digestsSince(jobId, mailsBefore).get(0).subject())
                .contains(": 1 failure (MandatoryFieldsMissing 1)");
        for (Map.Entry<ServiceProcess, Long> log : logsBefore.entrySet()) {
            assertThat(ServiceLogs.faults(linesSince(log.getKey().logFile(), log.getValue())))
                    .as("%s's log from its clean stop through its start to now", log.getKey().name()).isEmpty();
        }
    }

    /**
     * The mapper's INFO line when its stop has drained the assignments consumer ({@code MapperStop}): how many polls
     * were acked since the pause and how many are left unacked.
     */
    static final Pattern MAPPER_DRAINED = Pattern.compile("the assignments consumer is drained as the mapper stops: "
            + "\\d+ polls? acked since the pause; (none|\\d+) left unacked");
    /** The writer's INFO line when its stop abandons the operations still running after its stop grace. */
    static final Pattern ABANDONED = Pattern.compile("shutting down: [1-9]\\d* operations? still running after");
    static final String NEW_USER_ID = "5d1c0a6e-7f3b-4e2a-9c8d-0b1a2c3d4e5f";
    static final String CREATED_USER_ID = "0e2f4a6c-8b1d-4c3e-9f5a-7d6b8c9e0f1a";
    static final String CREATED_USER = "created.midcycle@contoso.example";

    /** The provisioning log's entries of one object of the job (GET /jobs/{id}/logs?objectId=). */
    private static List<JsonNode> resultsOf(String jobId, String objectId) {
        List<JsonNode> entries = new ArrayList<>();
        system.jobs().logs(jobId, "objectId=" + objectId).forEach(entries::add);
        return entries;
    }

    /** The lines of a log file from byte {@code offset} on. */
    static List<String> linesSince(Path log, long offset) throws Exception {
        byte[] all = Files.readAllBytes(log);
        return new String(all, (int) offset, all.length - (int) offset, StandardCharsets.UTF_8).lines().toList();
    }

    /** The job's emails received after the first {@code skip} emails. */
    private static List<LocalSmtp.Mail> digestsSince(String jobId, int skip) {
        return system.stack().smtp().mails().stream().skip(skip).filter(m -> m.subject().contains(jobId)).toList();
    }

    private String jobId() {
        Matcher created = CREATED.matcher(printed());
        assertThat(created.find()).as("the run command created its job").isTrue();
        return created.group(1);
    }

    /** Changes one user's displayName in the directory file; returns its userPrincipalName. */
    private static String rename(String userPrincipalName, String displayName) throws Exception {
        edit(root -> {
            for (JsonNode user : root.path("users")) {
                if (user.path("userPrincipalName").asText().equals(userPrincipalName)) {
                    ((ObjectNode) user).put("displayName", displayName);
                }
            }
        });
        return userPrincipalName;
    }

    /** Changes the directory file. */
    private static void edit(Consumer<JsonNode> change) throws Exception {
        JsonNode root = Json.mapper().readTree(directory.toFile());
        change.accept(root);
        // written aside and moved in place: the detector never reads a half-written file
        Path written = directory.resolveSibling("directory.json.tmp");
        Files.writeString(written, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(root));
        Files.move(written, directory, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Whether the run's job has had its first cycle and the follow-up that adds the groups' members, both over. */
    private boolean followUpCompleted() {
        Matcher created = CREATED.matcher(printed());
        if (!created.find()) {
            return false;
        }
        JsonNode cycles = system.jobs().status(created.group(1)).path("recentCycles"); // newest first
        return cycles.size() >= 2 && "COMPLETED".equals(cycles.get(0).path("status").asText());
    }

    private String printed() {
        return printed.toString(StandardCharsets.UTF_8);
    }

    private static int summaries(String text) {
        return (int) SUMMARY.matcher(text).results().count();
    }

    private static int ready(ServiceProcess service) throws Exception {
        HttpResponse<Void> response = HTTP.send(HttpRequest.newBuilder(URI.create(service.managementUrl()
                + "/q/health/ready")).timeout(Waits.OUTCOME).build(), HttpResponse.BodyHandlers.discarding());
        return response.statusCode();
    }
}
