package dev.provisioning.localstack;

import java.time.Duration;
import java.util.List;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;

/** A real SMTP server (GreenMail) on a free loopback port that keeps every message it receives. */
public final class LocalSmtp implements AutoCloseable {

    private final GreenMail greenMail;
    private final int port;

    private LocalSmtp(GreenMail greenMail, int port) {
        this.greenMail = greenMail;
        this.port = port;
    }

    public static LocalSmtp start() {
        int port = Ports.free();
        ServerSetup setup = new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP);
        // GreenMail's default is 2 s for its server thread to come up: too short on a busy two-core CI machine
        setup.setServerStartupTimeout(Duration.ofMinutes(2).toMillis());
        GreenMail mail = new GreenMail(setup);
        mail.start();
        return new LocalSmtp(mail, port);
    }

    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1";
    }

    /** Every message received so far. */
    public List<MimeMessage> received() {
        return List.of(greenMail.getReceivedMessages());
    }

    /** Received messages as simple records, for assertions. */
    public List<Mail> mails() {
        return received().stream().map(Mail::of).toList();
    }

    /** Forgets received messages. */
    public void purge() {
        try {
            greenMail.purgeEmailFromAllMailboxes();
        } catch (Exception e) {
            throw new IllegalStateException("cannot purge mailboxes", e);
        }
    }

    @Override
    public void close() {
        greenMail.stop();
    }

    /** A received email: recipients, subject and the whole body as text. */
    public record Mail(List<String> to, String subject, String body) {

        static Mail of(MimeMessage message) {
            try {
                List<String> to = java.util.Arrays.stream(message.getAllRecipients()).map(Object::toString).toList();
                return new Mail(to, message.getSubject(), GreenMailUtil.getBody(message));
            } catch (MessagingException e) {
                throw new IllegalStateException("cannot read received mail", e);
            }
        }
    }
}
