package dev.provisioning.notifier;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.mail.internet.MimeMessage;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;

import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.Ports;

/**
 * The local stack (shared Kafka and PostgreSQL), with the mailer pointed at a dedicated SMTP server (GreenMail) on a
 * fixed port that a test can stop and start again on the same port, as an SMTP relay outage would look. Every Quarkus
 * test of the module uses it (one application for all of them; {@link SmtpOutageTest} stops and starts the server, the
 * others read what it received).
 */
public class OutageSmtpResource extends LocalStackTestResource {

    private static int port;
    private static GreenMail smtp;

    @Override
    public synchronized Map<String, String> start() {
        Map<String, String> config = new LinkedHashMap<>(super.start());
        // from this JVM's port block: below the ephemeral range, so no other process takes it during the outage
        port = Ports.free();
        startSmtp();
        config.put("quarkus.mailer.host", "127.0.0.1");
        config.put("quarkus.mailer.port", String.valueOf(port));
        return config;
    }

    @Override
    public synchronized void stop() {
        stopSmtp();
        super.stop();
    }

    /** Starts the SMTP server (again) on its port. */
    static synchronized void startSmtp() {
        if (smtp == null) {
            ServerSetup setup = new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP);
            // GreenMail's default is 2 s for its server thread to come up: too short on a busy machine
            setup.setServerStartupTimeout(Waits.OUTCOME.toMillis());
            smtp = new GreenMail(setup);
            smtp.start();
        }
    }

    /** Stops the SMTP server: connections to its port are refused until {@link #startSmtp()}. */
    static synchronized void stopSmtp() {
        if (smtp != null) {
            smtp.stop();
            smtp = null;
        }
    }

    /** What the server received since it last started. */
    static synchronized List<MimeMessage> received() {
        return smtp == null ? List.of() : List.of(smtp.getReceivedMessages());
    }
}
