package dev.provisioning.notifier.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.notifier.mail.Links;

class StateNoticeComposerTest {

    private final StateNoticeComposer composer = new StateNoticeComposer("[Provisioning]",
            new Links(Optional.of("https://prov.example.com/")));

    @Test
    void quarantineSubjectNamesTheJobAndTheReasonCode() {
        StateNotice notice = composer.compose(event(JobStateChange.QUARANTINE_STARTED, "TooManyFailures", 0), null);

        assertThat(notice.subject()).isEqualTo("[Provisioning] Druva (job-1): quarantined — TooManyFailures");
        assertThat(notice.kind()).isEqualTo("quarantine");
        assertThat(notice.headline()).isEqualTo("Provisioning job Druva (job-1) is in quarantine: TooManyFailures. "
                + "While it is quarantined, it runs one cycle a day.");
    }

    /** The one email of a 401 is the quarantine's: it says what the token email would have said. */
    @Test
    void anInvalidCredentialsQuarantineSaysDruvaRejectedTheToken() {
        StateNotice notice = composer.compose(event(JobStateChange.QUARANTINE_STARTED, "InvalidCredentials", 1), null);

        assertThat(notice.subject())
                .isEqualTo("[Provisioning] Druva (job-1): quarantined — InvalidCredentials (secret token rejected)");
        assertThat(notice.headline()).isEqualTo("Druva rejected the secret token of provisioning job Druva (job-1) "
                + "(HTTP 401): nothing is provisioned until it is replaced. The job is in quarantine: "
                + "InvalidCredentials. While it is quarantined, it runs one cycle a day.");
        assertThat(notice.whatToDo()).isEqualTo(
                composer.compose(event(JobStateChange.TOKEN_REJECTED, "InvalidCredentials", 1), null).whatToDo());
    }

    /** The one email of a cycle over the threshold is the quarantine's: the count, how to allow or discard them. */
    @Test
    void aDeletionThresholdQuarantineGivesTheCountHeldAndHowToAllowOrDiscardThem() {
        StateNotice notice = composer.compose(event(JobStateChange.QUARANTINE_STARTED, "DeletionThresholdExceeded",
                612), null);

        assertThat(notice.subject()).isEqualTo(
                "[Provisioning] Druva (job-1): quarantined — DeletionThresholdExceeded (612 deletions held)");
        assertThat(notice.headline()).isEqualTo("Provisioning job Druva (job-1) holds 612 disables and deletes of "
                + "users in Druva: the cycle exceeded the accidental-deletion threshold. Nothing is deleted until you "
                + "allow it. The job is in quarantine: DeletionThresholdExceeded. While it is quarantined, it runs one "
                + "cycle a day.");
        assertThat(notice.count()).isEqualTo(612);
        assertThat(notice.whatToDo()).isEqualTo(composer
                .compose(event(JobStateChange.DELETIONS_HELD, "DeletionThresholdExceeded", 612), null).whatToDo());
        assertThat(composer.compose(event(JobStateChange.QUARANTINE_STARTED, "DeletionThresholdExceeded", 1), null)
                .subject()).endsWith("(1 deletion held)");
    }

    @Test
    void aRejectedTokenAndHeldDeletionsStartTheirQuarantines() {
        assertThat(StateNoticeComposer.quarantineStartedBy(JobStateChange.TOKEN_REJECTED))
                .isEqualTo("InvalidCredentials");
        assertThat(StateNoticeComposer.quarantineStartedBy(JobStateChange.DELETIONS_HELD))
                .isEqualTo("DeletionThresholdExceeded");
        assertThat(JobStateChange.values()).filteredOn(c -> StateNoticeComposer.quarantineStartedBy(c) != null)
                .containsExactlyInAnyOrder(JobStateChange.TOKEN_REJECTED, JobStateChange.DELETIONS_HELD);
    }

    @Test
    void invalidCredentialsSaysToRegenerateTheDruvaTokenAndUpdateTheJob() {
        StateNotice notice = composer.compose(event(JobStateChange.QUARANTINE_STARTED, "InvalidCredentials", 0), null);

        assertThat(String.join("\n", notice.whatToDo())).contains("Generate Token", "Secret Token", "PUT /jobs/job-1");
    }

    @Test
    void tooManyFailuresSaysToReadTheProvisioningLogs() {
        StateNotice notice = composer.compose(event(JobStateChange.QUARANTINE_STARTED, "TooManyFailures", 0), null);

        assertThat(notice.whatToDo()).first().asString().contains("provisioning logs");
        assertThat(notice.logsUrl()).isEqualTo("https://prov.example.com/jobs/job-1/logs?status=Failure");
        assertThat(notice.statusUrl()).isEqualTo("https://prov.example.com/jobs/job-1/status");
    }

    @Test
    void deletionThresholdSaysHowToAllowTheDeletesOrRestart() {
        StateNotice notice = composer.compose(event(JobStateChange.QUARANTINE_STARTED, "DeletionThresholdExceeded", 0),
                null);

        assertThat(String.join("\n", notice.whatToDo())).contains("POST /jobs/job-1/allow-deletes",
                "POST /jobs/job-1/restart): a restart discards the held deletions");
        assertThat(notice.subject()).endsWith("quarantined — DeletionThresholdExceeded");
    }

    @Test
    void heldDeletionsGiveTheCountAndHowToAllowThem() {
        StateNotice notice = composer.compose(event(JobStateChange.DELETIONS_HELD, "DeletionThresholdExceeded", 612),
                null);

        assertThat(notice.subject())
                .isEqualTo("[Provisioning] Druva (job-1): 612 deletions held — accidental-deletion threshold");
        assertThat(notice.kind()).isEqualTo("deletions");
        assertThat(notice.headline()).contains("612");
        assertThat(String.join("\n", notice.whatToDo())).contains("POST /jobs/job-1/allow-deletes");
    }

    @Test
    void liftedAndTokenSubjectsSayTheProblem() {
        assertThat(composer.compose(event(JobStateChange.QUARANTINE_LIFTED, null, 0), null).subject())
                .isEqualTo("[Provisioning] Druva (job-1): quarantine lifted");
        StateNotice rejected = composer.compose(event(JobStateChange.TOKEN_REJECTED, "InvalidCredentials", 0), null);
        assertThat(rejected.subject()).isEqualTo("[Provisioning] Druva (job-1): secret token rejected (401)");
        assertThat(rejected.kind()).isEqualTo("token");
        assertThat(composer.compose(event(JobStateChange.TOKEN_EXPIRING, null, 0), null).subject())
                .isEqualTo("[Provisioning] Druva (job-1): secret token expires soon");
    }

    @Test
    void theJobsCurrentNameWinsAndTheIdStandsInForAMissingOne() {
        assertThat(composer.compose(event(JobStateChange.QUARANTINE_LIFTED, null, 0), "Druva EU").subject())
                .isEqualTo("[Provisioning] Druva EU (job-1): quarantine lifted");
        JobStateEvent nameless = new JobStateEvent(JobStateEvent.SCHEMA_VERSION, "e", "job-2", null,
                JobStateChange.QUARANTINE_LIFTED, null, null, 0, null, null);
        assertThat(composer.compose(nameless, null).subject()).isEqualTo("[Provisioning] job-2: quarantine lifted");
    }

    @Test
    void withoutABaseUrlThereAreNoLinks() {
        StateNoticeComposer plain = new StateNoticeComposer("[Provisioning]", new Links(Optional.empty()));

        StateNotice notice = plain.compose(event(JobStateChange.TOKEN_REJECTED, null, 0), null);

        assertThat(notice.statusUrl()).isNull();
        assertThat(notice.logsUrl()).isNull();
    }

    @Test
    void releasedDeletionsAreNotEmailed() {
        assertThat(StateNoticeComposer.isEmailed(JobStateChange.DELETIONS_RELEASED)).isFalse();
        assertThat(StateNoticeComposer.isEmailed(JobStateChange.DELETIONS_HELD)).isTrue();
    }

    private static JobStateEvent event(JobStateChange change, String reasonCode, long count) {
        return new JobStateEvent(JobStateEvent.SCHEMA_VERSION, "job-1/" + change + "/" + reasonCode, "job-1", "Druva",
                change, reasonCode, "Druva answered 401 Unauthorized", count, "cycle-9",
                Instant.parse("2025-01-01T10:00:00Z"));
    }
}
