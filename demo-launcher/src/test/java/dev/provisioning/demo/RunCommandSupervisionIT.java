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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.provisioning.druva.DruvaUser;
import dev.provisioning.events.Json;

/**
 * The run command supervises its services as Kubernetes would (issue 12 item 6): the run command's own code
 * ({@link Supervisor} and {@link DemoLauncher#provision}, what {@code java -jar demo-launcher.jar} runs once the system
 * is up) on the shared system; the change-detector is killed with {@code kill -9} twice in a row. Each time it is
 * restarted (after 1 s, then after 2 s: the back-off doubles), the exit code is logged, it answers healthy again with
 * a new process, and the run goes on: an edit of the directory file after the crashes is provisioned and summarised.
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
        Path work = LocalSystem.findHome().resolve("demo-launcher/target/it-supervision");
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
                String renamed = rename(expected.created().iterator().next());
                await("the summary of the edit").atMost(Waits.OUTCOME).until(() -> {
                    String since = printed().substring(printedBeforeEdit);
                    return summaries(since) >= 1 && since.contains("updated 1 |");
                });
                assertThat(system.druva().users()).filteredOn(u -> u.userName().equals(renamed))
                        .extracting(DruvaUser::displayName).containsExactly("Renamed After Two Crashes");
                assertThat(run.isAlive()).as("the run command's loop").isTrue();
            } finally {
                stopping.set(true);
                run.join(Waits.OUTCOME.toMillis());
                System.out.println("RunCommandSupervisionIT, what the run command printed:\n" + printed());
            }
        }
    }

    /** Changes one user's displayName in the directory file; returns its userPrincipalName. */
    private static String rename(String userPrincipalName) throws Exception {
        JsonNode root = Json.mapper().readTree(directory.toFile());
        for (JsonNode user : root.path("users")) {
            if (user.path("userPrincipalName").asText().equals(userPrincipalName)) {
                ((ObjectNode) user).put("displayName", "Renamed After Two Crashes");
            }
        }
        // written aside and moved in place: the detector never reads a half-written file
        Path written = directory.resolveSibling("directory.json.tmp");
        Files.writeString(written, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(root));
        Files.move(written, directory, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return userPrincipalName;
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
