package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.internet.MimeMessage;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.localstack.LocalSmtp;

/**
 * The packaged notifier killed (as a crash) inside a digest window, then started again: the digest of the window
 * arrives once, and every failure is emailed once (a window that closed while the notifier was down makes a second
 * digest of the failures received after the restart). The window is 20 s here, so the kill lands inside it.
 */
@ExtendWith(SharedLocalSystem.class)
class NotifierRestartIT {

    static final String ADMIN = "restart-admin@contoso.example";
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static LocalSystem system;
    static Path directory;
    static DemoDirectoryExpectations expected;

    @BeforeAll
    static void startSystem(LocalSystem shared) throws Exception {
        Path work = SharedLocalSystem.work("it-notifier-restart");
        directory = DemoLauncher.extractDemoDirectory(work.resolve("directory.json"));
        expected = DemoDirectoryExpectations.of(directory);
        // the shared system's notifier: NOTIFIER_DIGEST_WINDOW=20s, NOTIFIER_SEND_INTERVAL=1s, NOTIFIER_MAX_LINES=1000
        system = shared;
        system.druva().settings(s -> s.latency(Duration.ofMillis(5)));
    }

    @Test
    void killingTheNotifierInsideItsDigestWindowLosesNothingAndSendsTheDigestOnce() throws Exception {
        assertThat(expected.failedWithoutMail()).isNotEmpty();
        String jobId = system.jobs().create(job("Druva (notifier crash)"));
        ServiceProcess notifier = system.service("notifier");

        // the window is open: the notifier holds some of the job's failures and has emailed nothing yet
        await().atMost(Waits.CYCLE).pollInterval(Duration.ofMillis(100))
                .until(() -> metric(notifier, "notifier_failures_stored_total", jobId) >= 1.0);
        assertThat(mailsTo(ADMIN)).isEmpty();
        notifier.kill();
        assertThat(notifier.isAlive()).isFalse();
        assertThat(mailsTo(ADMIN)).isEmpty();
        // it stays down until the cycle has all its results: every failure of the window is then on the topic when it
        // comes back, however slowly a busy machine ran the cycle (unless the window closed meanwhile: see below)
        await().atMost(Waits.CYCLE).pollInterval(Duration.ofSeconds(1)).until(() -> firstCycleCompleted(jobId));

        notifier.start().awaitReady(Waits.OUTCOME);

        // the window open at the kill is emailed once, with the failures stored before the kill, and every failure
        // of the cycle is emailed once in all. A window that closed while the notifier was down (a busy machine's
        // slow cycle or restart: the window starts when its first failure is received) is sent at the start, and the
        // failures received after it make a second digest: one digest or two, never a failure twice or none.
        int failures = expected.failedWithoutMail().size();
        await().atMost(Waits.OUTCOME).until(() -> failuresEmailed() >= failures);
        await().during(Waits.QUIET).atMost(Waits.QUIET_CEILING).until(() -> failuresEmailed() == failures);
        List<LocalSmtp.Mail> mails = mailsTo(ADMIN);
        assertThat(mails).hasSizeBetween(1, 2).allSatisfy(mail -> assertThat(mail.subject())
                .contains("Druva (notifier crash) (" + jobId + ")").contains("(MandatoryFieldsMissing "));
        if (mails.size() == 1) {
            assertThat(mails.get(0).subject()).contains(": " + failures + (failures == 1 ? " failure " : " failures ")
                    + "(MandatoryFieldsMissing " + failures + ")");
        }
        List<String> texts = new ArrayList<>();
        for (MimeMessage message : system.stack().smtp().received()) {
            if (recipients(message).contains(ADMIN)) {
                texts.add(plainText(message));
            }
        }
        assertThat(texts).hasSameSizeAs(mails);
        for (String failed : expected.failedWithoutMail()) {
            String name = expected.displayNames().get(failed);
            assertThat(texts).as("the digests naming %s", name).filteredOn(text -> text.contains(name)).hasSize(1);
        }
    }

    /** The failures the digests to {@link #ADMIN} counted, added up. */
    private static int failuresEmailed() {
        return Digests.failuresCounted(mailsTo(ADMIN));
    }

    /** Whether the job's first cycle (the oldest of its recent cycles) has completed: every result received. */
    private static boolean firstCycleCompleted(String jobId) {
        JsonNode recent = system.jobs().status(jobId).path("recentCycles");
        return !recent.isEmpty() && "COMPLETED".equals(recent.get(recent.size() - 1).path("status").asText());
    }

    /** The decoded text/plain part of a received email. */
    private static String plainText(MimeMessage message) throws Exception {
        Multipart parts = (Multipart) message.getContent();
        for (int i = 0; i < parts.getCount(); i++) {
            BodyPart part = parts.getBodyPart(i);
            if (part.isMimeType("text/plain")) {
                return (String) part.getContent();
            }
            if (part.getContent() instanceof Multipart nested && nested.getBodyPart(0).isMimeType("text/plain")) {
                return (String) nested.getBodyPart(0).getContent();
            }
        }
        throw new AssertionError("no text/plain part in " + message.getSubject());
    }

    private static List<String> recipients(MimeMessage message) {
        try {
            return Arrays.stream(message.getAllRecipients()).map(Object::toString).toList();
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<LocalSmtp.Mail> mailsTo(String address) {
        return system.stack().smtp().mails().stream().filter(m -> m.to().contains(address)).toList();
    }

    /** A counter of the service for one job on /q/metrics, 0 when absent or while the service does not answer. */
    private static double metric(ServiceProcess service, String name, String jobId) {
        try {
            HttpResponse<String> response = HTTP
                    .send(HttpRequest.newBuilder(URI.create(service.managementUrl() + "/q/metrics"))
                            .timeout(Waits.OUTCOME).build(), HttpResponse.BodyHandlers.ofString());
            return response.body().lines()
                    .filter(l -> l.startsWith(name + "{") && l.contains("provisioning_job=\"" + jobId + "\""))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                    .sum();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> job(String name) {
        Map<String, Object> job = new HashMap<>();
        job.put("name", name);
        job.put("tenantUrl", system.druva().baseUrl());
        job.put("secretToken", system.druvaToken());
        job.put("notificationEmail", ADMIN);
        job.put("notifyOnFailure", true);
        job.put("provisioningStatus", "On");
        job.put("cycleInterval", "PT1H");
        job.put("source", Map.of("type", "DIRECTORY_FILE", "directoryFile", directory.toString()));
        return job;
    }
}
