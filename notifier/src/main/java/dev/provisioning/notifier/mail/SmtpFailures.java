package dev.provisioning.notifier.mail;

import io.vertx.ext.mail.SMTPException;

/**
 * Classifies why an email was not sent. A 5xx SMTP reply (unknown mailbox, invalid address, policy rejection) is
 * permanent, and so is an email the mailer refuses before it reaches the server (an invalid address: the mailer throws
 * {@link IllegalArgumentException}): sending the same email again will not help. Everything else (4xx replies, a
 * refused connection, a timeout, TLS trouble) is transient and is retried with backoff.
 */
public final class SmtpFailures {

    private SmtpFailures() {
    }

    /** True when the SMTP server refused the email with a permanent (5xx) reply, or the mailer refused it. */
    public static boolean isPermanent(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof SMTPException smtp) {
                return smtp.isPermanent();
            }
            if (t instanceof IllegalArgumentException) {
                return true;
            }
        }
        return false;
    }

    /** The SMTP reply ("501 ...") when there was one, else the error itself, for logs and the outbox. */
    public static String describe(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof SMTPException smtp) {
                return "SMTP " + smtp.getReplyCode() + " " + smtp.getReplyMessage();
            }
        }
        return String.valueOf(error);
    }
}
