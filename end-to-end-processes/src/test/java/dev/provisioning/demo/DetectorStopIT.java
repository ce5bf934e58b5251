package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.druva.DruvaUser;

/**
 * The change-detector is stopped cleanly (SIGTERM, as the run command and Kubernetes stop it) in the middle of the
 * initial cycle of 500 users, then started again: the cycle is handed back at the stop (recorded FAILED as interrupted,
 * its claim released), so the restarted detector runs the job's cycle at once instead of waiting out the claim's lease,
 * and the end state is the one an undisturbed run reaches, nothing created twice. The restarted detector takes over a
 * claim only after a 10-minute lease here: a cycle abandoned at the stop (before, a clean stop left the claim to
 * lapse, as a crash does) would not resume within the test's waits. The detector emits one event at a time
 * ({@code DETECTOR_EMIT_CONCURRENCY=1}), so the stop, as soon as the cycle's first results are in, lands while it
 * still emits and while results come back. The detector's log from the stop on (its start again included) has no WARN
 * or ERROR: the results consumer, the outbox relay and the cycles hand their work back before Quarkus closes the
 * database pool and the Kafka channels ({@code DetectorStop}).
 */
@ExtendWith(SharedLocalSystem.class)
class DetectorStopIT {

    static final int USERS = 500;
    static final String INTERRUPTED = "interrupted: the detector stopped during the cycle; the next cycle repeats "
            + "its work";
    static LocalSystem system;
    static Path directory;

    @BeforeAll
    static void startSystem(LocalSystem shared) throws Exception {
        Path work = SharedLocalSystem.work("it-detector-stop");
        Files.createDirectories(work);
        directory = work.resolve("directory.json");
        Files.writeString(directory, GeneratedDirectory.users("stop", USERS, USERS));
        system = shared;
        system.druva().settings(s -> s.latency(Duration.ofMillis(2)));
    }

    /** The shared system's detector again with the default lease (30 s). */
    @AfterAll
    static void defaultLease() {
        system.restart("change-detector", Map.of("DETECTOR_CYCLE_LEASE", "30s"));
    }

    @Test
    void stoppingTheDetectorMidCycleHandsTheCycleBackSoTheNextStartRunsItAtOnceWithNothingLost() throws Exception {
        String jobId = system.jobs().create(DetectorCrashIT.directoryFileJob(system, "Druva (detector stop)",
                directory));
        String[] stoppedCycle = {DetectorCrashIT.awaitRunningCycle(system, jobId)};
        // results come back while the cycle still emits: the stop finds a poll of them under way (before, it could
        // land before the cycle planned its events, and then found nothing in flight)
        await("the cycle's first results").atMost(Waits.CYCLE).pollInterval(Duration.ofMillis(50))
                .until(() -> system.jobs().status(jobId).path("currentCycle").path("resultsReceived").asLong() > 0);
        ServiceProcess detector = system.service("change-detector");
        long logBefore = Files.size(detector.logFile());

        // stopped gracefully, started again with a lease that would hold an abandoned claim for 10 minutes
        system.restart("change-detector", Map.of("DETECTOR_CYCLE_LEASE", "10m"));

        JsonNode stopped = cycle(jobId, stoppedCycle[0]);
        assertThat(stopped.path("status").asText()).as("the stopped cycle").isEqualTo("FAILED");
        assertThat(stopped.path("error").asText()).isEqualTo(INTERRUPTED);
        assertThat(system.jobs().status(jobId).path("lastError").asText(null))
                .as("the job's lastError (a stop is not a failed cycle)").isNull();
        List<String> stopLog = RunCommandSupervisionIT.linesSince(detector.logFile(), logBefore);
        Pattern handedBack = Pattern.compile("job " + Pattern.quote(jobId) + ": cycle " + stoppedCycle[0]
                + " stopped after (\\d+) of " + USERS + " events, as the detector stops: handed back");
        // nothing fails against the closed pool or channels: the results consumer, the outbox relay and the cycles
        // hand their work back before Quarkus closes them
        assertThat(stopLog).as("the detector's log from its stop").anyMatch(l -> handedBack.matcher(l).find());
        assertThat(ServiceLogs.faults(stopLog)).as("WARN and ERROR lines of the detector's log from its stop")
                .isEmpty();
        int sent = stopLog.stream().map(handedBack::matcher).filter(Matcher::find).mapToInt(m -> Integer.parseInt(
                m.group(1))).findFirst().orElseThrow();
        assertThat(sent).as("events the cycle sent before the stop").isLessThan(USERS);

        // the next start runs the job's cycle at once (a claim left to lapse would hold it 10 minutes), to the end
        JsonNode completed = DetectorCrashIT.awaitCompletedCycle(system, jobId, stoppedCycle[0]);

        List<DruvaUser> users = system.druva().users();
        assertThat(users).hasSize(USERS);
        assertThat(users).extracting(DruvaUser::userName).doesNotHaveDuplicates();
        assertThat(users).allSatisfy(u -> assertThat(u.active()).isTrue());
        assertThat(system.druva().requests()).filteredOn(r -> r.method().equals("POST"))
                .as("users created").hasSize(USERS);
        assertThat(completed.path("eventsEmitted").asInt()).isEqualTo(USERS);
        assertThat(completed.path("summary").path("failed").asLong()).isZero();
        Map<String, Long> resultsPerObject = DetectorCrashIT.resultsPerObject(system, jobId,
                completed.path("cycleId").asText());
        assertThat(resultsPerObject).hasSize(USERS);
        assertThat(resultsPerObject.values()).containsOnly(1L);
    }

    /** The job's cycle {@code cycleId}, from its status's recent cycles. */
    private static JsonNode cycle(String jobId, String cycleId) {
        JsonNode recent = system.jobs().status(jobId).path("recentCycles");
        return StreamSupport.stream(recent.spliterator(), false)
                .filter(c -> c.path("cycleId").asText().equals(cycleId)).findFirst()
                .orElseThrow(() -> new AssertionError("cycle " + cycleId + " not in " + recent));
    }
}
