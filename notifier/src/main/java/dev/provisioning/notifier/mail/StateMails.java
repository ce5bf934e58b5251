package dev.provisioning.notifier.mail;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.mailer.Mail;
import io.quarkus.mailer.reactive.ReactiveMailer;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.smallrye.mutiny.Uni;

import dev.provisioning.notifier.config.NotifierConfig;
import dev.provisioning.notifier.state.StateNotice;

/**
 * Renders a {@link StateNotice} with the Qute templates {@code templates/state.txt} and {@code templates/state.html}
 * and sends it over SMTP with the reactive mailer.
 */
@ApplicationScoped
public class StateMails {

    private final ReactiveMailer mailer;
    private final Template text;
    private final Template html;
    private final NotifierConfig config;

    public StateMails(ReactiveMailer mailer, @Location("state.txt") Template text,
            @Location("state.html") Template html, NotifierConfig config) {
        this.mailer = mailer;
        this.text = text;
        this.html = html;
        this.config = config;
    }

    /** A stable Message-ID per job state event: a resend after a crash carries the same one. */
    public String messageId(StateNotice notice) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256")
                    .digest(notice.noticeId().getBytes(StandardCharsets.UTF_8));
            return "<state-" + HexFormat.of().formatHex(hash, 0, 16) + "@" + config.messageIdDomain() + ">";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Renders the notice as an email to {@code recipient}. */
    public Mail render(StateNotice notice, String recipient) {
        return Mail.withText(recipient, notice.subject(), text.data("notice", notice).render())
                .setHtml(html.data("notice", notice).render())
                .addHeader("Message-ID", messageId(notice))
                .addHeader("X-Provisioning-Job", notice.jobId())
                .addHeader("X-Provisioning-Event", notice.noticeId());
    }

    /** Sends the email; completes when the SMTP server accepted it, fails when it refused it or was unreachable. */
    public Uni<Void> send(Mail mail) {
        return mailer.send(mail);
    }
}
