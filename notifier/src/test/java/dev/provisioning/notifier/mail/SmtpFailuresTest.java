package dev.provisioning.notifier.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.vertx.ext.mail.SMTPException;

class SmtpFailuresTest {

    @Test
    void aFiveHundredReplyIsPermanent() {
        SMTPException rejected = new SMTPException("rejected", 550, List.of("550 5.1.1 mailbox unknown"), false);

        assertThat(SmtpFailures.isPermanent(rejected)).isTrue();
        assertThat(SmtpFailures.isPermanent(new IllegalStateException("wrapped", rejected))).isTrue();
        assertThat(SmtpFailures.describe(rejected)).contains("550", "mailbox unknown");
    }

    @Test
    void anAddressTheMailerRefusesIsPermanent() {
        assertThat(SmtpFailures.isPermanent(
                new IllegalArgumentException("Unable to send an email, an email address is invalid"))).isTrue();
    }

    @Test
    void aFourHundredReplyOrARefusedConnectionIsTransient() {
        assertThat(SmtpFailures.isPermanent(new SMTPException("busy", 421, List.of("421 try later"), false))).isFalse();
        assertThat(SmtpFailures.isPermanent(new ConnectException("Connection refused"))).isFalse();
        assertThat(SmtpFailures.describe(new ConnectException("Connection refused"))).contains("Connection refused");
    }
}
