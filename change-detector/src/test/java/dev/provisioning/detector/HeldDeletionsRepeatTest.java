package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.events;
import static dev.provisioning.detector.TestJobs.job;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.persistence.StagedDeletionRepository;
import dev.provisioning.detector.safety.HeldDeletions;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/**
 * A cycle holds its deletions before its snapshot moves, so a detector that crashes after DELETIONS_HELD was published
 * but before the snapshot moved holds the same deletions again in the next cycle (a new cycle id). That repeat must not
 * tell the administrator a second time, nor log the held deletions a second time; new held deletions still are told.
 * The repeat is what the next cycle does: {@link HeldDeletions#hold} with the same deletions under a new cycle id.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class HeldDeletionsRepeatTest {

    /** What the cycle runner passes: the limit of the job's threshold that the held events tripped. */
    static String why(List<AssignmentEvent> held) {
        return new dev.provisioning.detector.job.DeletionThreshold(1, 0).tripped(held.size(), held.size())
                .orElseThrow();
    }

    static final String TOKEN = "held-repeat-token-" + System.nanoTime();
    static TopicClient kafka;

    @Inject
    HeldDeletions held;
    @Inject
    StagedDeletionRepository staged;

    @BeforeAll
    static void connect() {
        kafka = new TopicClient(LocalStackTestResource.stack().kafka().bootstrapServers());
    }

    @AfterAll
    static void disconnect() {
        kafka.close();
    }

    @Test
    void theNextCycleHoldingTheSameDeletionsAgainTellsNobodyTwiceButNewHeldDeletionsAreTold(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("directory.json");
        // the three users are unassigned: a real cycle holds the three disables
        String jobId = TestJobs.threeHeldDisables(kafka, file, TOKEN).get(0).jobId();
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(states(jobId))
                .extracting(JobStateEvent::change)
                .containsExactly(JobStateChange.DELETIONS_HELD, JobStateChange.QUARANTINE_STARTED));
        String heldCycle = states(jobId).get(0).cycleId();
        assertThat(stagedDeleteCycles(jobId)).hasSize(3).containsOnly(heldCycle);

        // the detector crashed before the snapshot moved: the next cycle holds the same three disables again
        List<AssignmentEvent> same = staged.held(jobId).await().atMost(Waits.OUTCOME);
        String repeat = UUID.randomUUID().toString();
        held.hold(jobId, repeat, inCycle(same, repeat), why(inCycle(same, repeat))).await().atMost(Waits.OUTCOME);
        // and it crashed once more
        String repeatAgain = UUID.randomUUID().toString();
        held.hold(jobId, repeatAgain, inCycle(same, repeatAgain), why(inCycle(same, repeatAgain))).await()
                .atMost(Waits.OUTCOME);

        // told once, logged once, still held and quarantined
        assertThat(states(jobId)).extracting(JobStateEvent::change)
                .containsExactly(JobStateChange.DELETIONS_HELD, JobStateChange.QUARANTINE_STARTED);
        assertThat(stagedDeleteCycles(jobId)).hasSize(3).containsOnly(heldCycle);
        given().get("/jobs/" + jobId + "/status").then().body("heldDeletions", equalTo(3))
                .body("quarantine.reason", equalTo("DeletionThresholdExceeded"));

        // a later cycle holds one more disable with the same three: the new one is told, the quarantine is not again
        String later = UUID.randomUUID().toString();
        List<AssignmentEvent> more = new ArrayList<>(inCycle(same, later));
        more.add(disable(jobId, later, "u-new"));
        held.hold(jobId, later, more, why(more)).await().atMost(Waits.OUTCOME);

        List<JobStateEvent> told = states(jobId);
        assertThat(told).extracting(JobStateEvent::change).containsExactly(JobStateChange.DELETIONS_HELD,
                JobStateChange.QUARANTINE_STARTED, JobStateChange.DELETIONS_HELD);
        assertThat(told.get(2).cycleId()).isEqualTo(later);
        assertThat(told.get(2).count()).isEqualTo(1);
        assertThat(told.get(2).reason()).contains("4 disables and deletes", "3 of them were already held");
        assertThat(told).extracting(JobStateEvent::eventId).doesNotHaveDuplicates();
        assertThat(stagedDeleteCycles(jobId)).hasSize(4).containsOnly(heldCycle, later);
        given().get("/jobs/" + jobId + "/logs?action=StagedDelete&objectId=u-new").then()
                .body("size()", equalTo(1)).body("[0].cycleId", equalTo(later));
        given().get("/jobs/" + jobId + "/status").then().body("heldDeletions", equalTo(4));
    }

    @Test
    void aCrashBetweenHoldingAndTellingIsToldOnceByTheRepeatUnderTheFirstCyclesEventId(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(0, 0));
        Map<String, Object> job = new HashMap<>(job(file, "Off", TOKEN));
        job.put("deletionThreshold", 1);
        String jobId = create(job);
        String crashed = UUID.randomUUID().toString();
        List<AssignmentEvent> disables = List.of(disable(jobId, crashed, "a"), disable(jobId, crashed, "b"));
        // the crashed cycle stored its held deletions, then stopped before anything was told
        staged.hold(jobId, crashed, disables).await().atMost(Waits.OUTCOME);

        String repeat = UUID.randomUUID().toString();
        held.hold(jobId, repeat, inCycle(disables, repeat), why(inCycle(disables, repeat))).await()
                .atMost(Waits.OUTCOME);
        String again = UUID.randomUUID().toString();
        held.hold(jobId, again, inCycle(disables, again), why(inCycle(disables, again))).await().atMost(Waits.OUTCOME);

        List<JobStateEvent> told = states(jobId);
        assertThat(told).extracting(JobStateEvent::change)
                .containsExactly(JobStateChange.DELETIONS_HELD, JobStateChange.QUARANTINE_STARTED);
        // the id the crashed cycle would have published under: the notifier dedupes on it
        assertThat(told.get(0).eventId()).isEqualTo(jobId + "/DELETIONS_HELD/" + crashed);
        assertThat(told.get(0).cycleId()).isEqualTo(crashed);
        assertThat(told.get(0).count()).isEqualTo(2);
        given().get("/jobs/" + jobId + "/status").then().body("heldDeletions", equalTo(2))
                .body("quarantine.reason", equalTo("DeletionThresholdExceeded"));
    }

    /** The events as another cycle plans them: same objects and changes, that cycle's ids. */
    private static List<AssignmentEvent> inCycle(List<AssignmentEvent> events, String cycleId) {
        return events.stream().map(e -> new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION,
                Cycle.eventId(cycleId, e.objectId()), e.jobId(), cycleId, false, e.objectType(), e.objectId(),
                e.change(), e.attributes(), e.assignments(), e.members(), Instant.now())).toList();
    }

    /** An unassigned user's event (the mapping engine disables it). */
    private static AssignmentEvent disable(String jobId, String cycleId, String objectId) {
        return new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, Cycle.eventId(cycleId, objectId), jobId,
                cycleId, false, ObjectType.USER, objectId, ChangeKind.UPDATED,
                Map.of("userPrincipalName", objectId + "@x.test", "displayName", "User " + objectId,
                        "accountEnabled", true),
                List.of(), List.of(), Instant.now());
    }

    /** The cycle of each StagedDelete record of the job's provisioning log. */
    private static List<String> stagedDeleteCycles(String jobId) {
        return given().get("/jobs/" + jobId + "/logs?action=StagedDelete&limit=1000").then().statusCode(200)
                .extract().jsonPath().getList("cycleId", String.class);
    }

    private static List<JobStateEvent> states(String jobId) {
        return kafka.readAll(Topics.JOB_STATES, r -> jobId.equals(r.key())).stream()
                .map(r -> EventChecks.jobState(r.value())).toList();
    }
}
