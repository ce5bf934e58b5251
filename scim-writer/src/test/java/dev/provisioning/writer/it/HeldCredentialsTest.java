package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.resultId;
import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URL;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.druva.DruvaUser;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.job.EncryptedSecret;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.PatchDialect;
import dev.provisioning.events.job.TargetObjectActions;
import dev.provisioning.writer.Waits;

/**
 * A job whose Druva token is rejected (401) stops sending at once: its operations are held, not sent (no futile 401s,
 * one failure for the digest), and go out when its token changes or it is started again; other jobs go on.
 */
@QuarkusTest
class HeldCredentialsTest {

    /** Metrics are served on the management interface. */
    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @Test
    void aRejectedTokenHoldsTheJobsOperationsUntilItsTokenChanges() {
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token("the-new-token"));
                DruvaScimServer other = DruvaScimServer
                        .start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            String jobId = unique("job");
            KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl(), "an-old-token", JobState.ACTIVE,
                    PatchDialect.ENTRA, TargetObjectActions.ALL, 1));
            List<ScimOperation> first = List.of(
                    Fixtures.upsert(jobId, "obj-h1", Fixtures.user("held1", "Held", "One")),
                    Fixtures.upsert(jobId, "obj-h2", Fixtures.user("held2", "Held", "Two")),
                    Fixtures.upsert(jobId, "obj-h3", Fixtures.user("held3", "Held", "Three")));
            first.forEach(KafkaTopics::publishOperation);

            Map<String, ProvisioningResult> results = KafkaTopics
                    .awaitAllResults(first.stream().map(Fixtures::resultId).toList(), Waits.OUTCOME);

            // each operation whose request was answered 401 is a Failure with it (the detector quarantines the job on
            // the first; others may have been in flight already, and one bulk lookup answers for several operations),
            // the operations held before a request went out are Skipped with the same code: the log never says
            // "not sent" of an operation Druva answered, so every request has at least one Failure
            int sentWhileRejected = Sent.of(druva).size();
            assertThat(sentWhileRejected).as("requests, all rejected").isBetween(1, 3);
            assertThat(Sent.of(druva)).allSatisfy(r -> assertThat(r.status()).isEqualTo(401));
            assertThat(results.values()).allSatisfy(r -> assertThat(r.errorCode()).isEqualTo("InvalidCredentials"));
            List<ProvisioningResult> failed = results.values().stream()
                    .filter(r -> r.status() == ProvisioningStatus.Failure).toList();
            assertThat(failed).hasSizeGreaterThanOrEqualTo(sentWhileRejected).allSatisfy(r -> {
                assertThat(r.httpStatus()).isEqualTo(401);
                assertThat(r.reason()).contains("held, and sent again once the job's token changes");
            });
            assertThat(results.values()).filteredOn(r -> r.status() == ProvisioningStatus.Skipped)
                    .hasSize(3 - failed.size())
                    .allSatisfy(r -> assertThat(r.reason()).contains("held, not sent, until the job's token changes"));

            // while held, a later operation of the job is not sent at all
            ScimOperation later = Fixtures.upsert(jobId, "cycle-2", "obj-h4", Fixtures.user("held4", "Held", "Four"));
            KafkaTopics.publishOperation(later);
            ProvisioningResult heldLater = KafkaTopics.awaitResult(resultId(later));
            assertThat(heldLater.status()).isEqualTo(ProvisioningStatus.Skipped);
            assertThat(heldLater.errorCode()).isEqualTo("InvalidCredentials");
            assertThat(Sent.of(druva)).hasSize(sentWhileRejected);
            await().atMost(Waits.OUTCOME).until(() -> RestAssured.get(metrics).asString()
                    .contains("scim_writer_held{provisioning_job=\"" + jobId + "\"} 4.0"));

            // another job goes on meanwhile
            String otherJob = unique("job");
            KafkaTopics.publishJob(Fixtures.job(otherJob, other.baseUrl()));
            ScimOperation fine = Fixtures.upsert(otherJob, "obj-ok", Fixtures.user("ok", "O", "K"));
            KafkaTopics.publishOperation(fine);
            assertThat(KafkaTopics.awaitResult(resultId(fine)).status()).isEqualTo(ProvisioningStatus.Success);

            // the administrator saves the new token (a new revision with another ciphertext): the held operations go
            // out, and each ends in a follow-up of its held result
            KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl(), "the-new-token", JobState.QUARANTINED,
                    PatchDialect.ENTRA, TargetObjectActions.ALL, 3));
            List<String> held = new java.util.ArrayList<>(results.values().stream().map(ProvisioningResult::resultId)
                    .toList());
            held.add(heldLater.resultId());
            Map<String, ProvisioningResult> released = KafkaTopics.awaitFinalResults(held, Waits.OUTCOME);

            assertThat(released.values()).allSatisfy(r -> {
                assertThat(r.status()).isEqualTo(ProvisioningStatus.Success);
                assertThat(r.action()).isEqualTo(ProvisioningAction.Create);
                assertThat(held).contains(r.retryOf());
            });
            assertThat(druva.users()).extracting(DruvaUser::userName).containsExactlyInAnyOrder(
                    "held1@example.com", "held2@example.com", "held3@example.com", "held4@example.com");
            await().atMost(Waits.OUTCOME).until(() -> RestAssured.get(metrics).asString()
                    .contains("scim_writer_held{provisioning_job=\"" + jobId + "\"} 0.0"));
        }
    }

    @Test
    void startingTheJobAgainReleasesItsHeldOperations() {
        try (DruvaScimServer druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token("rotated"))) {
            String jobId = unique("job");
            EncryptedSecret token = Fixtures.secret("rotated-soon");
            KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl(), token, JobState.ACTIVE, PatchDialect.ENTRA,
                    TargetObjectActions.ALL, 1));
            ScimOperation op = Fixtures.upsert(jobId, "obj-r1", Fixtures.user("rot", "Ro", "Tated"));
            KafkaTopics.publishOperation(op);
            ProvisioningResult held = KafkaTopics.awaitResult(resultId(op));
            assertThat(held.status()).isEqualTo(ProvisioningStatus.Failure);
            assertThat(held.errorCode()).isEqualTo("InvalidCredentials");

            // quarantined (by the detector, on that failure): still held, the token is still rejected
            KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl(), token, JobState.QUARANTINED,
                    PatchDialect.ENTRA, TargetObjectActions.ALL, 2));
            ScimOperation whileQuarantined = Fixtures.upsert(jobId, "cycle-2", "obj-r2",
                    Fixtures.user("rot2", "Ro", "Two"));
            KafkaTopics.publishOperation(whileQuarantined);
            ProvisioningResult alsoHeld = KafkaTopics.awaitResult(resultId(whileQuarantined));
            assertThat(alsoHeld.status()).isEqualTo(ProvisioningStatus.Skipped);
            assertThat(Sent.of(druva)).as("nothing sent while held").hasSize(1);
            // meanwhile the administrator fixes the token in Druva, then starts the job again (same token, ACTIVE)
            druva.settings(s -> s.token("rotated-soon"));
            KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl(), token, JobState.ACTIVE, PatchDialect.ENTRA,
                    TargetObjectActions.ALL, 3));

            ProvisioningResult done = KafkaTopics.awaitResult(ProvisioningResult.followUpIdOf(held.resultId()));
            assertThat(done.status()).isEqualTo(ProvisioningStatus.Success);
            assertThat(done.retryOf()).isEqualTo(held.resultId());
            assertThat(KafkaTopics.awaitResult(ProvisioningResult.followUpIdOf(alsoHeld.resultId())).status())
                    .isEqualTo(ProvisioningStatus.Success);
            assertThat(druva.users()).extracting(DruvaUser::userName).containsExactlyInAnyOrder("rot@example.com",
                    "rot2@example.com");
        }
    }
}
