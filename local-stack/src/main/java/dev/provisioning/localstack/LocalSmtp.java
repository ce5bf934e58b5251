package dev.provisioning.localstack;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
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
        return mailsAfter(0);
    }

    /** The messages received after the first {@code count} as records, oldest first: only those are decoded. */
    public List<Mail> mailsAfter(int count) {
        List<MimeMessage> received = received();
        return received.subList(Math.min(count, received.size()), received.size()).stream().map(Mail::of).toList();
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

    /**
     * A received email: recipients, subject, the whole body as it came over SMTP ({@code body}: still in its transfer
     * encoding, e.g. quoted-printable, and with a multipart message's boundaries) and its plain text as a reader sees
     * it ({@code text}: the first {@code text/plain} part, decoded; the body when there is none).
     */
    public record Mail(List<String> to, String subject, String body, String text) {

        static Mail of(MimeMessage message) {
            try {
                List<String> to = java.util.Arrays.stream(message.getAllRecipients()).map(Object::toString).toList();
                String body = GreenMailUtil.getBody(message);
                String text = plainText(message);
                return new Mail(to, message.getSubject(), body, text == null ? body : text);
            } catch (MessagingException | IOException e) {
                throw new IllegalStateException("cannot read received mail", e);
            }
        }

        /** The first {@code text/plain} part of a message or part, decoded, or null when it has none. */
        private static String plainText(Part part) throws MessagingException, IOException {
            if (part.isMimeType("text/plain")) {
                return part.getContent().toString();
            }
            if (part.getContent() instanceof Multipart multipart) {
                for (int i = 0; i < multipart.getCount(); i++) {
                    String text = plainText(multipart.getBodyPart(i));
                    if (text != null) {
                        return text;
                    }
                }
            }
            return null;
        }
    }
}
