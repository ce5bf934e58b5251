package dev.provisioning.notifier.config;

import java.time.Duration;
import java.util.Optional;

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

    /**
     * How often the senders look for digests whose window has closed and for job state emails to send (state emails
     * are not digested: each goes out on the next run). Default {@code 30s}.
     */
    @WithDefault("30s")
    Duration sendInterval();

    /** The most failed objects listed in one email; the counts and the total always cover all of them. Default 100. */
    @WithDefault("100")
    int maxLines();

    /** Start of every subject line. Default {@code [Provisioning]}. */
    @WithDefault("[Provisioning]")
    String subjectPrefix();

    /**
     * First wait before an email (digest or job state) that SMTP refused is tried again; it doubles per attempt.
     * Default {@code 1m}.
     */
    @WithDefault("1m")
    Duration retryBackoff();

    /** Longest wait between two attempts of a refused email. Default {@code 1h}. */
    @WithDefault("1h")
    Duration retryBackoffMax();

    /**
     * How many attempts an email gets when the SMTP server refuses it permanently (a 5xx reply, e.g. an unknown
     * mailbox) before it is given up, logged and counted as dropped. Transient refusals (4xx, unreachable server) are
     * retried with backoff without limit. Default 5.
     */
    @WithDefault("5")
    int permanentFailureAttempts();

    /**
     * Base URL of the provisioning API (the change-detector) as administrators reach it, e.g.
     * {@code https://provisioning.example.com}. When set, digests link to {@code <base>/jobs/<id>/logs?status=Failure}
     * and job state emails to {@code <base>/jobs/<id>/status} and the logs. No default: no links.
     */
    Optional<String> logsBaseUrl();

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
