package dev.provisioning.notifier;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import dev.provisioning.notifier.config.NotifierConfig;
import dev.provisioning.notifier.config.NotifierStop;
import dev.provisioning.notifier.digest.Backoff;
import dev.provisioning.notifier.mail.Links;
import dev.provisioning.notifier.mail.SmtpFailures;
import dev.provisioning.notifier.mail.StateMails;
import dev.provisioning.notifier.messaging.KnownJobs;
import dev.provisioning.notifier.persistence.StateNotification;
import dev.provisioning.notifier.persistence.StateOutbox;
import dev.provisioning.notifier.state.StateNotice;
import dev.provisioning.notifier.state.StateNoticeComposer;
import dev.provisioning.telemetry.Plural;
import dev.provisioning.telemetry.ScheduledRounds;

/**
 * Sends the job state emails (quarantine started or lifted, deletions held, secret token rejected or expiring), one per
 * pending event, on the first run after it arrived: they are not digested. A rejected token or held deletions that
 * start a quarantine are not pending: the quarantine's email tells them ({@link StateOutbox#store}). Each email is one
 * transaction: lock the row ({@code FOR UPDATE SKIP LOCKED}, so replicas never send the same email together), send,
 * mark it sent. Send first, then record: a crash in between sends that email once more after the restart, with the same
 * Message-ID.
 * <p>
 * A refused email stays pending with a backoff, and the job's later state emails wait behind it so they never arrive
 * out of order; other jobs' emails go on. After {@code notifier.permanent-failure-attempts} permanent refusals (5xx)
 * the email is given up, logged and counted as dropped.
 * <p>
 * At a stop ({@link NotifierStop#SENDERS}) no new email starts and the one being sent is waited for (until the stop's
 * deadline), as for the failure digests ({@link DigestSender}); one abandoned at the deadline stays pending for the
 * next start, logged at INFO.
 */
@ApplicationScoped
public class StateSender {

    private static final Logger LOG = Logger.getLogger(StateSender.class);
    private static final List<String> KINDS = List.of(StateNoticeComposer.QUARANTINE, StateNoticeComposer.DELETIONS,
            StateNoticeComposer.TOKEN);

    private final NotifierConfig config;
    private final KnownJobs jobs;
    private final StateOutbox outbox;
    private final StateMails mails;
    private final NotifierMetrics metrics;
    private final StateNoticeComposer composer;
    private final ScheduledRounds rounds = new ScheduledRounds();
    private final NotifierStop stop;

    public StateSender(NotifierConfig config, KnownJobs jobs, StateOutbox outbox, StateMails mails,
            NotifierMetrics metrics, NotifierStop stop) {
        this.stop = stop;
        this.config = config;
        this.jobs = jobs;
        this.outbox = outbox;
        this.mails = mails;
        this.metrics = metrics;
        this.composer = new StateNoticeComposer(config.subjectPrefix(), new Links(config.logsBaseUrl()));
    }

    /** The service stops: no new email, and the one being sent is waited for, until the stop's deadline. */
    void stop(@Observes @Priority(NotifierStop.SENDERS) ShutdownEvent event) {
        if (!rounds.stop(stop.left())) {
            LOG.infof("a job state email was still being sent at the stop's deadline: abandoned, it stays pending and "
                    + "is sent after the next start");
        }
    }

    /** Sends every pending job state email that is not waiting for a retry; one failing email stops no other job's. */
    @Scheduled(identity = "state-emails", every = "${notifier.send-interval:30s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    public Uni<Void> sendDue() {
        return rounds.run(this::sendDueNow);
    }

    private Uni<Void> sendDueNow() {
        Instant now = Instant.now();
        return Panache.withSession(outbox::pending)
                .invoke(this::updateGauges)
                .chain(pending -> {
                    // a job whose oldest pending email waits for a retry holds its later ones back: order is kept
                    Set<String> held = new HashSet<>();
                    return Multi.createFrom().iterable(pending)
                            .onItem().transformToUniAndConcatenate(row -> {
                                if (rounds.stopping()) {
                                    // the emails not started wait for the next start
                                    return Uni.createFrom().voidItem();
                                }
                                if (held.contains(row.jobId)
                                        || (row.nextAttemptAt != null && row.nextAttemptAt.isAfter(now))) {
                                    held.add(row.jobId);
                                    return Uni.createFrom().voidItem();
                                }
                                return sendOne(row.eventId)
                                        .onFailure().recoverWithItem(e -> {
                                            if (rounds.stopping()) {
                                                LOG.infof("job %s: job state email %s abandoned as the service stops "
                                                        + "(it stays pending for the next start): %s", row.jobId,
                                                        row.eventId, e.toString());
                                            } else {
                                                LOG.errorf(e, "job %s: job state email %s not processed, will try "
                                                        + "again", row.jobId, row.eventId);
                                            }
                                            return false;
                                        })
                                        .invoke(settled -> {
                                            if (!settled) {
                                                held.add(row.jobId);
                                            }
                                        })
                                        .replaceWithVoid();
                            })
                            .collect().asList()
                            .replaceWithVoid();
                });
    }

    /** Forgets settled job state emails after {@code notifier.retention}. */
    @Scheduled(identity = "state-outbox-purge", every = "1h", delayed = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    public Uni<Void> purge() {
        return rounds.run(() -> {
            Instant cutoff = Instant.now().minus(config.retention());
            return Panache.withTransaction(() -> outbox.purgeSettledBefore(cutoff))
                    .invoke(n -> LOG.debugf("purged %d settled job state emails older than %s", n, cutoff))
                    .replaceWithVoid();
        });
    }

    private void updateGauges(List<StateNotification> pending) {
        for (String kind : KINDS) {
            Map<String, Long> byJob = pending.stream().filter(r -> kind.equals(r.kind))
                    .collect(Collectors.groupingBy(r -> r.jobId, Collectors.counting()));
            metrics.pending(kind, byJob);
        }
    }

    /**
     * Sends (or drops) one pending email in its own transaction.
     *
     * @return true when it is settled (sent, dropped, or already gone), false when it is still pending
     */
    Uni<Boolean> sendOne(String eventId) {
        return Panache.withTransaction(() -> outbox.lockPending(eventId)
                .chain(row -> row == null ? Uni.createFrom().item(true) : process(row, Instant.now())));
    }

    private Uni<Boolean> process(StateNotification row, Instant now) {
        var job = jobs.find(row.jobId);
        if (job.isEmpty()) {
            if (jobs.isDeleted(row.jobId)) {
                return Uni.createFrom().item(drop(row, "the job was deleted", now));
            }
            if (row.receivedAt.plus(config.unknownJobTimeout()).isBefore(now)) {
                LOG.warnf("job %s: configuration never seen in %s, %s email dropped", row.jobId,
                        config.unknownJobTimeout(), row.change);
                return Uni.createFrom().item(drop(row, "the job's configuration was never seen", now));
            }
            LOG.debugf("job %s: configuration not read yet, its %s email waits", row.jobId, row.change);
            return Uni.createFrom().item(false);
        }
        if (!KnownJobs.wantsFailureEmails(job.get())) {
            return Uni.createFrom().item(drop(row, "the job sends no failure emails", now));
        }
        StateNotice notice = composer.compose(row.toEvent(), job.get().name());
        String recipient = job.get().notificationEmail();
        return VertxContexts.onThisContext(() -> mails.send(mails.render(notice, recipient)))
                .onItemOrFailure().transform((ok, error) -> error == null
                        ? sent(row, notice, recipient)
                        : refused(row, notice, recipient, error));
    }

    private boolean sent(StateNotification row, StateNotice notice, String recipient) {
        row.state = StateNotification.SENT;
        row.settledAt = Instant.now();
        row.recipient = recipient;
        row.subject = notice.subject();
        row.messageId = mails.messageId(notice);
        row.lastError = null;
        metrics.emailSent(row.jobId, row.kind);
        LOG.infof("job %s: %s email (event %s) sent to %s: %s", row.jobId, row.kind, row.eventId, recipient,
                notice.subject());
        return true;
    }

    private boolean refused(StateNotification row, StateNotice notice, String recipient, Throwable error) {
        int attempts = row.attempts + 1;
        String reply = SmtpFailures.describe(error);
        metrics.emailFailed(row.jobId, row.kind);
        row.attempts = attempts;
        row.lastError = reply;
        if (SmtpFailures.isPermanent(error) && attempts >= config.permanentFailureAttempts()) {
            row.state = StateNotification.DROPPED;
            row.settledAt = Instant.now();
            metrics.emailDropped(row.jobId, row.kind);
            LOG.errorf("job %s: %s email (event %s) to %s refused permanently %s, given up: %s", row.jobId,
                    row.kind, row.eventId, recipient, Plural.of(attempts, "time"), reply);
            return true;
        }
        var wait = Backoff.after(attempts, config.retryBackoff(), config.retryBackoffMax());
        row.nextAttemptAt = Instant.now().plus(wait).truncatedTo(ChronoUnit.MILLIS);
        LOG.warnf("job %s: sending %s email (event %s) to %s failed (attempt %d), retrying in %s: %s", row.jobId,
                row.kind, row.eventId, recipient, attempts, wait, reply);
        return false;
    }

    private boolean drop(StateNotification row, String why, Instant now) {
        row.state = StateNotification.DROPPED;
        row.settledAt = now;
        row.lastError = why;
        LOG.infof("job %s: %s email (event %s) dropped, %s", row.jobId, row.change, row.eventId, why);
        return true;
    }
}
