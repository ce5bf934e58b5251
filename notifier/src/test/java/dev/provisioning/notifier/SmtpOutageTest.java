package dev.provisioning.notifier;

import static dev.provisioning.notifier.NotifierTestSupport.failure;
import static dev.provisioning.notifier.NotifierTestSupport.mailsTo;
import static dev.provisioning.notifier.NotifierTestSupport.metric;
import static dev.provisioning.notifier.NotifierTestSupport.newJob;
import static dev.provisioning.notifier.NotifierTestSupport.plainText;
import static dev.provisioning.notifier.NotifierTestSupport.publish;
import static dev.provisioning.notifier.NotifierTestSupport.state;
import static dev.provisioning.notifier.NotifierTestSupport.subjects;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Inject;
import jakarta.mail.internet.MimeMessage;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.notifier.config.NotifierConfig;

/**
 * The SMTP relay goes down during a burst of failures and a quarantine, stays down until the notifier has tried each
 * email {@link #ATTEMPTS_DURING_OUTAGE} more times than it tries a permanently refused one (the test profile retries
 * every 0.2-0.5 s instead of minutes), then comes back on the same port: every expected email arrives, once. The
 * server is {@link OutageSmtpResource}, the one every Quarkus test of the module sends to, so this test needs no
 * restart of the application of its own.
 */
@QuarkusTest
class SmtpOutageTest {

    /**
     * Attempts beyond {@code notifier.permanent-failure-attempts} that each email must have failed before the relay
     * comes back: an unreachable relay is a transient refusal, retried without limit, never dropped like a permanent
     * one. A count, not a duration, so a slow machine waits longer instead of proving less.
     */
    static final int ATTEMPTS_DURING_OUTAGE = 3;

    @Inject
    NotifierConfig config;

    @AfterEach
    void smtpIsBack() {
        OutageSmtpResource.startSmtp();
    }

    @Test
    void anSmtpOutageDelaysTheEmailsButLosesNoneAndRepeatsNone() throws Exception {
        OutageSmtpResource.stopSmtp();
        int attempts = config.permanentFailureAttempts() + ATTEMPTS_DURING_OUTAGE;
        String job = newJob(true);
        List<ProvisioningResult> burst = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            burst.add(failure(job, "user-" + i, "User " + i, ErrorCodes.MANDATORY_FIELDS_MISSING, "no email"));
        }
        publish(burst.toArray(ProvisioningResult[]::new));
        publish(state(job, JobStateChange.QUARANTINE_STARTED, "TooManyFailures", 0));

        // the notifier keeps trying, with backoff, for as long as the relay is down: past the permanent refusals' limit
        await().atMost(Waits.OUTCOME)
                .until(() -> metric("notifier_emails_failed_total", job, "digest") >= attempts
                        && metric("notifier_emails_failed_total", job, "quarantine") >= attempts);
        assertThat(metric("notifier_emails_dropped_total", job)).isZero();
        assertThat(metric("notifier_outbox_pending", job, "digest")).isEqualTo(200.0);
        assertThat(metric("notifier_outbox_pending", job, "quarantine")).isEqualTo(1.0);

        OutageSmtpResource.startSmtp();

        await().atMost(Waits.OUTCOME).until(() -> mailsTo(OutageSmtpResource.received(), job).size() == 2);
        await().during(Waits.QUIET).atMost(Waits.QUIET_CEILING)
                .until(() -> mailsTo(OutageSmtpResource.received(), job).size() == 2);
        List<MimeMessage> mails = mailsTo(OutageSmtpResource.received(), job);
        assertThat(subjects(mails)).containsExactlyInAnyOrder(
                "[Provisioning] Druva (" + job + "): 200 failures (MandatoryFieldsMissing 200)",
                "[Provisioning] Druva (" + job + "): quarantined — TooManyFailures");
        MimeMessage digest = mails.stream().filter(m -> subjects(List.of(m)).get(0).contains("failures")).findFirst()
                .orElseThrow();
        assertThat(plainText(digest)).contains("MandatoryFieldsMissing: 200");
        await().atMost(Waits.OUTCOME).until(() -> metric("notifier_emails_sent_total", job, "digest") == 1.0
                && metric("notifier_emails_sent_total", job, "quarantine") == 1.0
                && metric("notifier_outbox_pending", job) == 0.0);
    }
}
