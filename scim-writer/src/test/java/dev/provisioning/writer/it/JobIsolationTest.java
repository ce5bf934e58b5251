package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.resultId;
import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.Topics;
import dev.provisioning.writer.Waits;

/**
 * One job's trouble never delays another job (issue 12): a slow tenant, an unknown job and a deleted job each hold
 * back their own operations only; every operation of a deleted job is dead-lettered and counted. The topic has one
 * partition here, so every record below shares it: before lanes, records of a batch waited for its slowest one.
 * Operations of a job that never arrives: {@link JobNeverArrivesTest}.
 */
@QuarkusTest
class JobIsolationTest {

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @Test
    void aSlowTenantDoesNotDelayAnotherTenantsOperations() {
        // the slow tenant answers each request after 4 s: its 200 new users take several rounds of 64 at a time
        try (DruvaScimServer slow = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN)
                .latency(Duration.ofSeconds(4)));
                DruvaScimServer fast = DruvaScimServer
                        .start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            String slowJob = unique("job-slow");
            String fastJob = unique("job-fast");
            KafkaTopics.publishJob(Fixtures.job(slowJob, slow.baseUrl()));
            KafkaTopics.publishJob(Fixtures.job(fastJob, fast.baseUrl()));
            List<String> slowResults = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                ScimOperation op = Fixtures.upsert(slowJob, "s" + i, Fixtures.user("slow" + i, "Slow", "S" + i));
                KafkaTopics.publishOperation(op);
                slowResults.add(resultId(op));
            }
            List<String> fastResults = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                ScimOperation op = Fixtures.upsert(fastJob, "f" + i, Fixtures.user("fast" + i, "Fast", "F" + i));
                KafkaTopics.publishOperation(op);
                fastResults.add(resultId(op));
            }

            var fastDone = KafkaTopics.awaitAllResults(fastResults, Waits.OUTCOME);

            // the fast tenant's operations, published after the slow tenant's, are all done while the slow tenant's
            // are still being carried out
            assertThat(fastDone.values()).allSatisfy(r -> assertThat(r.status()).isEqualTo(ProvisioningStatus.Success));
            assertThat(fast.users()).hasSize(20);
            Set<String> slowDone = resultIds(slowJob);
            assertThat(slowDone).as("slow tenant's results when the fast tenant was done").hasSizeLessThan(200);
            // and the slow tenant ends right, too
            assertThat(KafkaTopics.awaitAllResults(slowResults, Waits.OUTCOME).values())
                    .allSatisfy(r -> assertThat(r.status()).isEqualTo(ProvisioningStatus.Success));
            assertThat(slow.users()).hasSize(200);
        }
    }

    @Test
    void anUnknownJobsOperationWaitsForItsJobWithoutDelayingAnotherJobs() {
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            String lateJob = unique("job-late");
            String knownJob = unique("job-known");
            KafkaTopics.publishJob(Fixtures.job(knownJob, druva.baseUrl()));
            ScimOperation waiting = Fixtures.upsert(lateJob, "obj-late", Fixtures.user("late", "La", "Te"));
            ScimOperation other = Fixtures.upsert(knownJob, "obj-known", Fixtures.user("known", "Kno", "Wn"));

            KafkaTopics.publishOperation(waiting);
            KafkaTopics.publishOperation(other);

            // the other job's operation, behind it on the partition, is done while the first one waits for its job
            // (writer.job-wait-timeout is 30 s)
            assertThat(KafkaTopics.awaitResult(resultId(other)).status()).isEqualTo(ProvisioningStatus.Success);
            assertThat(resultIds(lateJob)).isEmpty();

            // its job arrives: it goes on
            KafkaTopics.publishJob(Fixtures.job(lateJob, druva.baseUrl()));
            ProvisioningResult late = KafkaTopics.awaitResult(resultId(waiting));
            assertThat(late.status()).isEqualTo(ProvisioningStatus.Success);
            assertThat(late.action()).isEqualTo(ProvisioningAction.Create);
            assertThat(druva.users()).extracting(u -> u.userName()).contains("late@example.com",
                    "known@example.com");
        }
    }

    @Test
    void aDeletedJobsOperationIsDeadLetteredAtOnceWithTheReasonAndNoResult() {
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            String deletedJob = unique("job-deleted");
            String otherJob = unique("job-other");
            KafkaTopics.publishJob(Fixtures.job(otherJob, druva.baseUrl()));
            // a tombstone: whether the writer reads it before or after the operation, the operation is dead-lettered
            // as soon as it has (it never waits writer.job-wait-timeout)
            KafkaTopics.send(Topics.JOBS, deletedJob, null);
            List<ScimOperation> orphans = List.of("a", "b", "c").stream()
                    .map(n -> Fixtures.upsert(deletedJob, "obj-orphan-" + n, Fixtures.user("orphan" + n, "Or", "Phan")))
                    .toList();
            ScimOperation other = Fixtures.upsert(otherJob, "obj-fine", Fixtures.user("fine", "Fi", "Ne"));

            orphans.forEach(KafkaTopics::publishOperation);
            KafkaTopics.publishOperation(other);

            // every operation of the deleted job is dead-lettered (the log has one line for the job, the counter all)
            for (ScimOperation orphan : orphans) {
                var dead = KafkaTopics.awaitRecord(Topics.deadLetter(Topics.OPERATIONS),
                        r -> orphan.key().equals(r.key()));
                assertThat(new String(dead.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8))
                        .isEqualTo("job " + deletedJob + " was deleted");
            }
            assertThat(KafkaTopics.awaitResult(resultId(other)).status()).isEqualTo(ProvisioningStatus.Success);
            assertThat(resultIds(deletedJob)).isEmpty();
            assertThat(druva.users()).extracting(u -> u.userName()).containsExactly("fine@example.com");
            // awaited: the scrape is another thread's read (red once at 2.0 with all three already on the topic)
            org.awaitility.Awaitility.await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(
                    RestAssured.get(metrics).asString()).contains(
                            "scim_writer_operations_dead_lettered_total"
                                    + "{provisioning_job=\"" + deletedJob + "\",reason=\"JobDeleted\"} 3.0"));
        }
    }

    private static Set<String> resultIds(String jobId) {
        return KafkaTopics.readAll(Topics.RESULTS).stream().map(r -> EventChecks.result(r.value()))
                .filter(r -> r.jobId().equals(jobId)).map(ProvisioningResult::resultId).collect(Collectors.toSet());
    }
}
