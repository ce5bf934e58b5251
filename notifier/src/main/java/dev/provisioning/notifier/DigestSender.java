package dev.provisioning.notifier;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import dev.provisioning.events.job.JobConfig;
import dev.provisioning.notifier.config.NotifierConfig;
import dev.provisioning.notifier.config.NotifierStop;
import dev.provisioning.notifier.digest.Backoff;
import dev.provisioning.notifier.digest.Digest;
import dev.provisioning.notifier.digest.DigestComposer;
import dev.provisioning.notifier.digest.FailedObject;
import dev.provisioning.notifier.mail.DigestMails;
import dev.provisioning.notifier.mail.SmtpFailures;
import dev.provisioning.notifier.messaging.KnownJobs;
import dev.provisioning.notifier.messaging.ResultsProgress;
import dev.provisioning.notifier.persistence.Outbox;
import dev.provisioning.notifier.persistence.OutboxFailure;
import dev.provisioning.notifier.persistence.SentNotification;
import dev.provisioning.telemetry.Plural;
import dev.provisioning.telemetry.ScheduledRounds;

/**
 * Sends the failure digests. Every {@code notifier.send-interval} it looks for jobs whose oldest pending failure is at
 * least {@code notifier.digest-window} old and sends each of them one email with all their pending failures (so the
 * stragglers of a burst, which reach the partitions a little apart, join the same email instead of starting a second
 * one). A job thus gets at most one email per window.
 * <p>
 * One digest is one transaction: lock the job's pending failures ({@code FOR UPDATE SKIP LOCKED}, so replicas never
 * send the same digest together), send, then record the email in {@code sent_notification} and mark the failures sent.
 * Send first, then record: a crash between the SMTP server's acceptance and the commit sends that digest once more
 * after the restart, with the same digest id and Message-ID (both derive from the job and the oldest failure, which is
 * still pending); the resend may list a few failures more, that arrived in between.
 * A refused or unreachable SMTP server leaves the failures pending with a backoff; other jobs' digests go on.
 * <p>
 * No digest goes out until this replica has read {@code provisioning.results} up to where it stood when its partitions
 * were assigned ({@link ResultsProgress}): after a restart inside a window, the digest waits for the failures that were
 * received but not yet stored, instead of going out without them.
 * <p>
 * At a stop ({@link NotifierStop#SENDERS}) no new digest starts, and the one being sent is waited for (until the stop's
 * deadline) while the database and the mailer still answer, so a clean stop records what it sent.
 * The window of a second copy is thus a crash (or a database lost) between the SMTP server's acceptance and the commit,
 * a few milliseconds per digest. A digest still unfinished after the grace is abandoned as in a crash: its failures stay
 * pending, it is sent after the next start, and its failure is logged at INFO, not ERROR.
 */
@ApplicationScoped
public class DigestSender {

    private static final Logger LOG = Logger.getLogger(DigestSender.class);

    private final NotifierConfig config;
    private final KnownJobs jobs;
    private final Outbox outbox;
    private final DigestMails mails;
    private final NotifierMetrics metrics;
    private final DigestComposer composer;
    private final ResultsProgress progress;
    private final ScheduledRounds rounds = new ScheduledRounds();
    private final NotifierStop stop;

    public DigestSender(NotifierConfig config, KnownJobs jobs, Outbox outbox, DigestMails mails,
            NotifierMetrics metrics,
            @Identifier(ResultsProgress.NAME) ResultsProgress progress, NotifierStop stop) {
        this.stop = stop;
        this.progress = progress;
        this.config = config;
        this.jobs = jobs;
        this.outbox = outbox;
        this.mails = mails;
        this.metrics = metrics;
        this.composer = new DigestComposer(config.maxLines(), config.subjectPrefix());
    }

    /** Fails the start on an inconsistent configuration, naming the key, and logs the effective one. */
    void logConfiguration(@Observes StartupEvent event) {
        if (config.digestWindow().isNegative() || config.digestWindow().isZero()) {
            throw new IllegalArgumentException("notifier.digest-window must be positive, was " + config.digestWindow());
        }
        if (config.retryBackoffMax().compareTo(config.retryBackoff()) < 0) {
            throw new IllegalArgumentException("notifier.retry-backoff-max (" + config.retryBackoffMax()
                    + ") must not be shorter than notifier.retry-backoff (" + config.retryBackoff() + ")");
        }
        if (config.permanentFailureAttempts() < 1) {
            throw new IllegalArgumentException(
                    "notifier.permanent-failure-attempts must be at least 1, was " + config.permanentFailureAttempts());
        }
        LOG.infof("notifier: digest-window=%s send-interval=%s max-lines=%d retry-backoff=%s..%s "
                + "permanent-failure-attempts=%d unknown-job-timeout=%s retention=%s logs-base-url=%s",
                config.digestWindow(), config.sendInterval(), config.maxLines(), config.retryBackoff(),
                config.retryBackoffMax(), config.permanentFailureAttempts(), config.unknownJobTimeout(),
                config.retention(), config.logsBaseUrl().orElse("(none: no links)"));
    }

    /**
     * The service stops: no new digest, and the one being sent (its SMTP exchange and commit) is waited for, at most
     * the stop's deadline ({@link NotifierStop}).
     */
    void stop(@Observes @Priority(NotifierStop.SENDERS) ShutdownEvent event) {
        if (!rounds.stop(stop.left())) {
            LOG.infof("a failure digest was still being sent at the stop's deadline: abandoned, its failures stay "
                    + "pending and are sent after the next start");
        }
    }

    /** Sends every digest whose window has closed; one failing digest does not stop the others. */
    @Scheduled(identity = "failure-digests", every = "${notifier.send-interval:30s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    public Uni<Void> sendDue() {
        return rounds.run(this::sendDueNow);
    }

    private Uni<Void> sendDueNow() {
        if (!progress.caughtUp()) {
            // after a restart, failures received before it may still be on the topic: a digest now would miss them
            LOG.debug("results not caught up yet, digests wait");
            return Uni.createFrom().voidItem();
        }
        Instant now = Instant.now();
        return Panache.withSession(outbox::pendingJobs)
                .invoke(pending -> metrics.pending(NotifierMetrics.DIGEST, Outbox.pendingByJob(pending)))
                .onItem().transformToMulti(pending -> Multi.createFrom().iterable(pending))
                // stopping: the digests not started wait for the next start
                .filter(job -> isDue(job, now) && !rounds.stopping())
                .onItem().transformToUniAndConcatenate(job -> sendDigest(job.jobId(), job.windowStart())
                        .onFailure().recoverWithItem(e -> {
                            if (rounds.stopping()) {
                                LOG.infof("job %s: failure digest abandoned as the service stops (its failures stay "
                                        + "pending and are sent after the next start): %s", job.jobId(), e.toString());
                            } else {
                                LOG.errorf(e, "job %s: failure digest not processed, will try again", job.jobId());
                            }
                            return null;
                        }))
                .collect().asList()
                .replaceWithVoid();
    }

    /** Forgets settled failures after {@code notifier.retention}. */
    @Scheduled(identity = "outbox-purge", every = "1h", delayed = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    public Uni<Void> purge() {
        return rounds.run(() -> {
            Instant cutoff = Instant.now().minus(config.retention());
            return Panache.withTransaction(() -> outbox.purgeSettledBefore(cutoff))
                    .invoke(n -> LOG.debugf("purged %d settled failures older than %s", n, cutoff))
                    .replaceWithVoid();
        });
    }

    private boolean isDue(Outbox.PendingJob job, Instant now) {
        boolean windowClosed = !job.windowStart().plus(config.digestWindow()).isAfter(now);
        boolean backoffOver = job.nextAttemptAt() == null || !job.nextAttemptAt().isAfter(now);
        return windowClosed && backoffOver;
    }

    /** Sends (or drops) the digest of one job's window. */
    Uni<Void> sendDigest(String jobId, Instant windowStart) {
        Instant now = Instant.now();
        var job = jobs.find(jobId);
        if (job.isEmpty()) {
            if (jobs.isDeleted(jobId)) {
                return drop(jobId, "the job was deleted", now);
            }
            if (windowStart.plus(config.unknownJobTimeout()).isBefore(now)) {
                LOG.warnf("job %s: configuration never seen in %s, its failures are dropped", jobId,
                        config.unknownJobTimeout());
                return drop(jobId, "the job's configuration was never seen", now);
            }
            LOG.debugf("job %s: configuration not read yet, its digest waits", jobId);
            return Uni.createFrom().voidItem();
        }
        if (!KnownJobs.wantsFailureEmails(job.get())) {
            return drop(jobId, "the job sends no failure emails", now);
        }
        return Panache.withTransaction(() -> outbox.lockPending(jobId)
                .chain(failures -> failures.isEmpty()
                        ? Uni.createFrom().voidItem()
                        : send(job.get(), windowStart, now, failures)));
    }

    private Uni<Void> send(JobConfig job, Instant windowStart, Instant windowEnd, List<OutboxFailure> failures) {
        List<FailedObject> lines = failures.stream().map(OutboxFailure::toFailedObject).toList();
        Digest digest = composer.compose(job.jobId(), job.name(), windowStart, windowEnd, lines);
        List<String> ids = failures.stream().map(f -> f.resultId).toList();
        String recipient = job.notificationEmail();
        return SentNotification.<SentNotification>findById(digest.digestId()).chain(already -> {
            if (already != null) {
                // recorded but not marked cannot happen in one transaction; kept as a guard against resending
                LOG.warnf("job %s: digest %s was already sent, marking its failures", job.jobId(),
                        digest.digestId());
                return outbox.markSent(ids, digest.digestId(), Instant.now()).replaceWithVoid();
            }
            return VertxContexts.onThisContext(() -> mails.send(mails.render(digest, recipient)))
                    .onItemOrFailure().transformToUni((ok, error) -> error == null
                            ? recordSent(digest, recipient, ids)
                            : recordRefused(job.jobId(), recipient, digest, failures, ids, error));
        });
    }

    private Uni<Void> recordSent(Digest digest, String recipient, List<String> ids) {
        Instant sentAt = Instant.now();
        SentNotification sent = new SentNotification();
        sent.digestId = digest.digestId();
        sent.jobId = digest.jobId();
        sent.kind = SentNotification.FAILURE_DIGEST;
        sent.windowStart = digest.windowStart();
        sent.windowEnd = digest.windowEnd();
        sent.recipient = recipient;
        sent.subject = digest.subject();
        sent.messageId = mails.messageId(digest);
        sent.failureCount = digest.total();
        sent.sentAt = sentAt;
        return sent.persist()
                .chain(() -> outbox.markSent(ids, digest.digestId(), sentAt))
                .invoke(() -> {
                    metrics.emailSent(digest.jobId(), NotifierMetrics.DIGEST);
                    LOG.infof("job %s: failure digest %s with %s sent to %s", digest.jobId(),
                            digest.digestId(), Plural.of(digest.total(), "failure"), recipient);
                })
                .replaceWithVoid();
    }

    private Uni<Void> recordRefused(String jobId, String recipient, Digest digest, List<OutboxFailure> failures,
            List<String> ids, Throwable error) {
        int attempts = failures.stream().mapToInt(f -> f.attempts).max().orElse(0) + 1;
        String reply = SmtpFailures.describe(error);
        metrics.emailFailed(jobId, NotifierMetrics.DIGEST);
        if (SmtpFailures.isPermanent(error) && attempts >= config.permanentFailureAttempts()) {
            metrics.emailDropped(jobId, NotifierMetrics.DIGEST);
            metrics.failuresDropped(jobId, ids.size());
            LOG.errorf("job %s: failure digest %s to %s refused permanently %s, its %s dropped: %s", jobId,
                    digest.digestId(), recipient, Plural.of(attempts, "time"),
                    Plural.of(ids.size(), "failure is", "failures are"), reply);
            return outbox.markDropped(ids, "SMTP refused permanently: " + reply, Instant.now()).replaceWithVoid();
        }
        var wait = Backoff.after(attempts, config.retryBackoff(), config.retryBackoffMax());
        Instant next = Instant.now().plus(wait).truncatedTo(ChronoUnit.MILLIS);
        LOG.warnf("job %s: sending failure digest %s to %s failed (attempt %d), retrying in %s: %s", jobId,
                digest.digestId(), recipient, attempts, wait, reply);
        return outbox.markAttemptFailed(ids, attempts, next, reply).replaceWithVoid();
    }

    private Uni<Void> drop(String jobId, String why, Instant now) {
        return Panache.withTransaction(() -> outbox.dropPending(jobId, why, now))
                .invoke(n -> {
                    if (n > 0) {
                        LOG.infof("job %s: %s dropped, %s", jobId, Plural.of(n, "pending failure"), why);
                        metrics.failuresDropped(jobId, n);
                    }
                })
                .replaceWithVoid();
    }
}
