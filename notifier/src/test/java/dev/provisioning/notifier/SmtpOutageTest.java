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

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.mail.internet.MimeMessage;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.ProvisioningResult;

/**
 * The SMTP relay goes down during a burst of failures and a quarantine, stays down for {@link #OUTAGE} (a minute; the
 * test profile retries every 1-2 s instead of minutes, so the notifier tries many times meanwhile), then comes back
 * on the same port: every expected email arrives, once.
 */
@QuarkusTest
@TestProfile(SmtpOutageTest.OwnSmtpServer.class)
class SmtpOutageTest {

    static final Duration OUTAGE = Duration.ofMinutes(1);

    /** The test profile: the local stack, but the mailer talks to {@link OutageSmtpResource}'s server. */
    public static class OwnSmtpServer implements QuarkusTestProfile {

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(OutageSmtpResource.class, Map.of("database", "notifier")));
        }

        @Override
        public boolean disableGlobalTestResources() {
            return true;
        }
    }

    @AfterEach
    void smtpIsBack() {
        OutageSmtpResource.startSmtp();
    }

    @Test
    void anSmtpOutageDelaysTheEmailsButLosesNoneAndRepeatsNone() throws Exception {
        OutageSmtpResource.stopSmtp();
        Instant down = Instant.now();
        String job = newJob(true);
        List<ProvisioningResult> burst = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            burst.add(failure(job, "user-" + i, "User " + i, ErrorCodes.MANDATORY_FIELDS_MISSING, "no email"));
        }
        publish(burst.toArray(ProvisioningResult[]::new));
        publish(state(job, JobStateChange.QUARANTINE_STARTED, "TooManyFailures", 0));

        // the notifier keeps trying, with backoff, for as long as the relay is down
        await().atMost(OUTAGE.plus(Waits.OUTCOME))
                .until(() -> metric("notifier_emails_failed_total", job, "digest") >= 3
                        && metric("notifier_emails_failed_total", job, "quarantine") >= 3
                        && Duration.between(down, Instant.now()).compareTo(OUTAGE) >= 0);
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
