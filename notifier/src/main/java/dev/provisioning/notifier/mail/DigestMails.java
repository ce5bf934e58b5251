package dev.provisioning.notifier.mail;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.mailer.Mail;
import io.quarkus.mailer.reactive.ReactiveMailer;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.smallrye.mutiny.Uni;

import dev.provisioning.notifier.config.NotifierConfig;
import dev.provisioning.notifier.digest.Digest;
import dev.provisioning.notifier.digest.DigestComposer;

/**
 * Renders a {@link Digest} with the Qute templates {@code templates/digest.txt} and {@code templates/digest.html} and
 * sends it over SMTP with the reactive mailer, linking to the job's failed provisioning logs when
 * {@code notifier.logs-base-url} is set. The sender address is {@code quarkus.mailer.from}.
 */
@ApplicationScoped
public class DigestMails {

    private final ReactiveMailer mailer;
    private final Template text;
    private final Template html;
    private final NotifierConfig config;
    private final Links links;

    public DigestMails(ReactiveMailer mailer, @Location("digest.txt") Template text,
            @Location("digest.html") Template html, NotifierConfig config) {
        this.mailer = mailer;
        this.text = text;
        this.html = html;
        this.config = config;
        this.links = new Links(config.logsBaseUrl());
    }

    /** The Message-ID of a digest: the same for the same digest, so a resend after a crash is recognisable. */
    public String messageId(Digest digest) {
        return DigestComposer.messageId(digest.digestId(), config.messageIdDomain());
    }

    /** Renders the digest as an email to {@code recipient}. */
    public Mail render(Digest digest, String recipient) {
        String logsUrl = links.failureLogs(digest.jobId());
        return Mail.withText(recipient, digest.subject(),
                text.data("digest", digest).data("logsUrl", logsUrl).render())
                .setHtml(html.data("digest", digest).data("logsUrl", logsUrl).render())
                .addHeader("Message-ID", messageId(digest))
                .addHeader("X-Provisioning-Job", digest.jobId())
                .addHeader("X-Provisioning-Digest", digest.digestId());
    }

    /** Sends the email; completes when the SMTP server accepted it, fails when it refused it or was unreachable. */
    public Uni<Void> send(Mail mail) {
        return mailer.send(mail);
    }
}
