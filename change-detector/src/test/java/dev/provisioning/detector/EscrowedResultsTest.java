package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.events;
import static dev.provisioning.detector.TestJobs.job;
import static dev.provisioning.detector.TestJobs.send;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/**
 * A failure never holds a cycle (issue 12, item 5): an escrowed operation's Failure, which says when the scim-writer
 * retries it, completes its object; the status lists the escrowed object; the writer's later outcome (a follow-up
 * with {@code retryOf}) updates the log, the managed objects and the status without reopening the cycle.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class EscrowedResultsTest {

    static final String TOKEN = "escrow-token-" + System.nanoTime();
    static TopicClient kafka;

    @BeforeAll
    static void connect() {
        kafka = new TopicClient(LocalStackTestResource.stack().kafka().bootstrapServers());
    }

    @AfterAll
    static void disconnect() {
        kafka.close();
    }

    @Test
    void anEscrowedFailureCompletesTheCycleAndItsLaterSuccessUpdatesTheLogWithoutReopeningIt(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(2, 2));
        String jobId = create(job(file, "On", TOKEN));
        List<AssignmentEvent> events = events(kafka, jobId, 2, e -> true);
        AssignmentEvent created = events.stream().filter(e -> e.objectId().equals("u0")).findFirst().orElseThrow();
        AssignmentEvent escrowedEvent = events.stream().filter(e -> e.objectId().equals("u1")).findFirst()
                .orElseThrow();
        Instant retryAt = Instant.now().plus(6, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);

        send(kafka, TestJobs.result(created, ProvisioningAction.Create, ProvisioningStatus.Success, null, 201));
        ProvisioningResult escrowed = new ProvisioningResult(1,
                ProvisioningResult.idOf(jobId, "u1", escrowedEvent.cycleId(), escrowedEvent.eventId()), jobId,
                escrowedEvent.cycleId(), escrowedEvent.eventId(), ObjectType.USER, "u1", null, "User 1",
                ProvisioningAction.Create, ProvisioningStatus.Failure, "TargetUnavailable",
                "escrowed: the scim-writer retries it at " + retryAt, 503, 9, 300_000, List.of(), "scim-writer",
                Instant.now(), retryAt, null);
        send(kafka, escrowed);

        // the cycle is complete: the escrowed Failure is u1's result; the status lists it with its retry time
        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("currentCycle.status", equalTo("COMPLETED"))
                .body("currentCycle.resultsReceived", equalTo(2))
                .body("currentCycle.summary.failed", equalTo(1))
                .body("escrowedObjects", equalTo(1))
                .body("escrowed[0].objectId", equalTo("u1"))
                .body("escrowed[0].errorCode", equalTo("TargetUnavailable")));
        String listed = given().get("/jobs/" + jobId + "/status").then().extract().path("escrowed[0].retryAt");
        assertThat(OffsetDateTime.parse(listed).toInstant()).isEqualTo(retryAt);

        // hours later the writer's retry succeeds: its follow-up replaces the Failure as u1's outcome
        send(kafka, new ProvisioningResult(1, ProvisioningResult.followUpIdOf(escrowed.resultId()), jobId,
                escrowedEvent.cycleId(), escrowedEvent.eventId(), ObjectType.USER, "u1", "druva-u1", "User 1",
                ProvisioningAction.Create, ProvisioningStatus.Success, null, null, 201, 1, 40, List.of(),
                "scim-writer", Instant.now(), null, escrowed.resultId()));

        await().atMost(Waits.OUTCOME).untilAsserted(() -> given().get("/jobs/" + jobId + "/status").then()
                .body("escrowedObjects", equalTo(0))
                .body("escrowed.size()", equalTo(0))
                .body("currentCycle.status", equalTo("COMPLETED"))
                // not a further result of the cycle: it stays complete with one result per event
                .body("currentCycle.resultsReceived", equalTo(2))
                .body("currentCycle.summary.created", equalTo(2))
                .body("currentCycle.summary.failed", equalTo(0)));
        // the log keeps both entries, the later one naming the first
        given().get("/jobs/" + jobId + "/logs?objectId=u1").then().statusCode(200).body("size()", equalTo(2))
                .body("[0].status", equalTo("Success"))
                .body("[0].retryOf", equalTo(escrowed.resultId()))
                .body("[1].status", equalTo("Failure"));
    }
}
