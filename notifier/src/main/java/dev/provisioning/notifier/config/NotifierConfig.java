package dev.provisioning.notifier.config;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * The notifier's own settings ({@code notifier.*}). SMTP host, port, TLS, credentials and the sender address are
 * Quarkus Mailer settings ({@code quarkus.mailer.*}).
 */
@ConfigMapping(prefix = "notifier")
public interface NotifierConfig {

    /**
     * How long a job's failures are gathered before they are emailed as one digest: the window opens with the job's
     * oldest unsent failure, and the email carries every failure pending when it closes. A job gets at most one
     * failure email per window. Default {@code 15m}.
     */
    @WithDefault("15m")
    Duration digestWindow();

    /** How often the sender looks for digests whose window has closed. Default {@code 30s}. */
    @WithDefault("30s")
    Duration sendInterval();

    /** The most failed objects listed in one email; the counts and the total always cover all of them. Default 100. */
    @WithDefault("100")
    int maxLines();

    /** Start of every subject line. Default {@code [Provisioning]}. */
    @WithDefault("[Provisioning]")
    String subjectPrefix();

    /** First wait before a digest that SMTP refused is tried again; it doubles per attempt. Default {@code 1m}. */
    @WithDefault("1m")
    Duration retryBackoff();

    /** Longest wait between two attempts of a refused digest. Default {@code 1h}. */
    @WithDefault("1h")
    Duration retryBackoffMax();

    /**
     * How long failures of a job whose configuration has never been seen are kept waiting for it before they are
     * dropped with a warning (deleted jobs are dropped at once). Default {@code 24h}.
     */
    @WithDefault("24h")
    Duration unknownJobTimeout();

    /**
     * How long sent or dropped failures are kept, so a result redelivered within that time is still recognised and
     * not emailed again. Default {@code 30d} (Entra keeps provisioning logs 30 days).
     */
    @WithDefault("30d")
    Duration retention();

    /** Host name used on the right of the {@code Message-ID} of the emails. Default {@code notifier.provisioning}. */
    @WithDefault("notifier.provisioning")
    String messageIdDomain();
}
