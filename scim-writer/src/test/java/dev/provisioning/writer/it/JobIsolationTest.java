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
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.events.ErrorCodes;
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

    /**
     * More operations of a never-configured job than the results emitter holds at once (its buffer of 128 plus the
     * Kafka sink's 1,024 in flight): when the wait ends, every one is still answered with exactly one Failure and
     * dead-lettered, and counted. Given up all at once, the Failures beyond the emitter's room failed (in the mapper,
     * 202 of 2,000 were dead-lettered without their Failure, so the detector's cycle waited for them for ever). A
     * record's Failure is acked before the record is dead-lettered, so once all are on the dead-letter topic every
     * Failure that will ever come is on the results topic. The records are twice {@code writer.lanes.max-records}
     * (2,000): they wait in two rounds, the second taken once the first is given up, each round waiting
     * {@code writer.job-wait-timeout} (30 s), hence the {@link Waits#BURST} ceiling.
     */
    @Test
    void everyOperationOfAJobThatNeverArrivesIsAnsweredAndDeadLetteredEvenBeyondTheResultsEmittersRoom() {
        String never = unique("job-never");
        int count = 4_000;
        List<ScimOperation> ops = IntStream.range(0, count)
                .mapToObj(i -> Fixtures.upsert(never, "obj-" + i, Fixtures.user("never" + i, "Ne", "Ver")))
                .toList();

        KafkaTopics.publishOperations(ops);

        // writer.job-wait-timeout is 30 s: then the 2,000 records of a round are given up together
        Set<String> dead = new java.util.HashSet<>();
        org.awaitility.Awaitility.await().atMost(Waits.BURST).pollInterval(Duration.ofSeconds(1)).until(() -> {
            dead.clear();
            KafkaTopics.readAll(Topics.deadLetter(Topics.OPERATIONS)).stream()
                    .filter(r -> r.key().startsWith(never + "/")).forEach(r -> dead.add(r.key()));
            return dead.size() == count;
        });
        assertThat(dead).containsExactlyInAnyOrderElementsOf(ops.stream().map(ScimOperation::key).toList());
        List<ProvisioningResult> answers = KafkaTopics.readAll(Topics.RESULTS).stream()
                .map(r -> EventChecks.result(r.value())).filter(r -> r.jobId().equals(never)).toList();
        assertThat(answers).as("one Failure per operation").extracting(ProvisioningResult::resultId)
                .containsExactlyInAnyOrderElementsOf(ops.stream().map(Fixtures::resultId).toList());
        assertThat(answers).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(ProvisioningStatus.Failure);
            assertThat(r.errorCode()).isEqualTo(ErrorCodes.JOB_CONFIGURATION);
        });
        org.awaitility.Awaitility.await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(
                RestAssured.get(metrics).asString()).contains(
                        "scim_writer_operations_dead_lettered_total"
                                + "{provisioning_job=\"" + never + "\",reason=\"JobNeverConfigured\"} " + count
                                + ".0"));
    }

    private static Set<String> resultIds(String jobId) {
        return KafkaTopics.readAll(Topics.RESULTS).stream().map(r -> EventChecks.result(r.value()))
                .filter(r -> r.jobId().equals(jobId)).map(ProvisioningResult::resultId).collect(Collectors.toSet());
    }
}
