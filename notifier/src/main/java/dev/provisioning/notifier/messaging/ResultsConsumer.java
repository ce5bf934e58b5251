package dev.provisioning.notifier.messaging;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.reactive.messaging.Acknowledgment;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.StorableText;
import dev.provisioning.notifier.NotifierMetrics;
import dev.provisioning.notifier.config.NotifierStop;
import dev.provisioning.notifier.persistence.Outbox;
import dev.provisioning.notifier.persistence.Refusals;
import dev.provisioning.telemetry.CommitsSettled;
import dev.provisioning.telemetry.ConsumerPause;
import dev.provisioning.telemetry.DeadLetterHeaders;
import dev.provisioning.telemetry.Plural;
import dev.provisioning.telemetry.ScheduledRounds;

/**
 * Reads {@code provisioning.results} at least once, one poll (up to {@code max.poll.records}, 500) at a time
 * ({@code batch=true}), and stores the poll's Failures that may have to be emailed in the outbox before the poll is
 * acknowledged. One pass over the poll ({@link ResultsBatch}), one statement for its Failures
 * ({@link Outbox#storeAll}), progress once per partition, then the ack: most results are not failures and cost only
 * their parse.
 * <ul>
 * <li>Stored: a Failure of a job that sends failure emails, or whose configuration is not read yet (its address is
 * resolved when the digest is sent, so nothing waits here and nothing is lost). Others are skipped.</li>
 * <li>A result stored before (a redelivery, in this poll or an earlier one) is stored once and counted
 * {@code notifier_failures_deduplicated_total}; a stored one {@code notifier_failures_stored_total}.</li>
 * <li>A malformed record goes to {@code provisioning.results.dlq} with the reason in the {@code dead-letter-reason}
 * header (it names the type, {@code ProvisioningResult}, and the field; {@code EventChecks.result}), and where it came
 * from ({@code dead-letter-topic}, {@code -partition}, {@code -offset}).</li>
 * <li>A database error is retried with backoff for about half a minute ({@link #STORE_RETRIES}); then the poll's
 * Failures to store are dead-lettered with the reason and the poll is acknowledged, so one outage loses no record and
 * does not stop the consumer.</li>
 * <li>A Failure the database refuses (SQLSTATE class 22 or 23: an identifier longer than its column, a date out of
 * range, a constraint; {@link Refusals}) is not retried: the poll's Failures are stored in halves, each split again
 * while refused, and only the Failures refused on their own are dead-lettered, with a reason naming the job and the
 * field ({@link Outbox#refusal}); one job's bad record never keeps another job's Failures out of the outbox.</li>
 * </ul>
 * <b>Acknowledgement</b> (SmallRye Reactive Messaging Kafka 4.33, {@code IncomingKafkaRecordBatch} and
 * {@code KafkaSource.receiveBatchRecord}): a poll is acknowledged as a whole, after the returned {@code Uni} completed
 * (post-processing). Only each partition's last record of the poll is registered with the {@code throttled} commit
 * handler and acked, so the commit moves past a poll only when all of it was handled; no record inside a poll is acked
 * on its own. If the {@code Uni} fails (a dead letter could not be sent), the poll is nacked and the channel fails
 * ({@code failure-strategy=fail}): readiness goes down and the poll is redelivered after the restart.
 * <p>
 * Every effect is idempotent: a crash before the insert committed redelivers the poll and stores it then; after, the
 * redelivered Failures are deduplicated. The digest is keyed by job and window as before, so it stays one per job and
 * window.
 * <p>
 * <b>A clean stop</b> ({@link NotifierStop}) finishes the consumer's work while the database still answers: at its
 * start the consumer is paused (nothing more is fetched) and a store that fails is no longer retried, nor
 * dead-lettered: a retry waiting for its backoff gives up at once and its poll is left unacked (logged at INFO), where
 * before it went on retrying for half a minute against a pool Quarkus had closed, logging a WARN per attempt, and then
 * dead-lettered the poll's Failures (no email for them). The polls fetched before the pause are handled and acked as
 * usual; once none has been under way for {@link #DRAINED} no poll is handled any more (left unacked). A poll left
 * unacked completes neither way (a completion would ack it, a failure nack it and fail the channel): it is consumed
 * again after the next start, as after a crash, and its Failures stored then, once.
 */
@ApplicationScoped
public class ResultsConsumer {

    private static final Logger LOG = Logger.getLogger(ResultsConsumer.class);
    /** About half a minute of retries, below the throttled commit strategy's 60 s limit for an unprocessed record. */
    static final int STORE_RETRIES = 6;
    private static final Duration STORE_RETRY_FIRST = Duration.ofMillis(500);
    private static final Duration STORE_RETRY_MAX = Duration.ofSeconds(8);
    /** Dead letters in flight at once, well below the emitter's buffer (a poll holds at most 500 records). */
    private static final int DEAD_LETTERS_IN_FLIGHT = 64;
    /** At a stop, how long no poll has been under way before the polls fetched are taken as handled. */
    static final Duration DRAINED = Duration.ofMillis(300);

    private final KnownJobs jobs;
    private final Outbox outbox;
    private final NotifierMetrics metrics;
    private final ResultsProgress progress;
    private final MutinyEmitter<String> deadLetters;
    private final Duration retryFirst;
    private final Duration retryMax;
    private final NotifierStop stop;
    private final KafkaClientService kafka;
    /** The polls being handled: none starts once the notifier stopped taking them ({@link #drain}). */
    private final ScheduledRounds polls = new ScheduledRounds();

    @Inject
    public ResultsConsumer(KnownJobs jobs, Outbox outbox, NotifierMetrics metrics,
            @Identifier(ResultsProgress.NAME) ResultsProgress progress,
            @Channel(Channels.RESULTS_DEAD_LETTERS) MutinyEmitter<String> deadLetters, NotifierStop stop,
            KafkaClientService kafka) {
        this(jobs, outbox, metrics, progress, deadLetters, STORE_RETRY_FIRST, STORE_RETRY_MAX, stop, kafka);
    }

    /**
     * For tests: the backoff between store attempts, first and longest (there are {@link #STORE_RETRIES}); no Kafka
     * consumer to pause when {@code kafka} is null.
     */
    ResultsConsumer(KnownJobs jobs, Outbox outbox, NotifierMetrics metrics, ResultsProgress progress,
            MutinyEmitter<String> deadLetters, Duration retryFirst, Duration retryMax, NotifierStop stop,
            KafkaClientService kafka) {
        this.stop = stop;
        this.kafka = kafka;
        this.jobs = jobs;
        this.outbox = outbox;
        this.metrics = metrics;
        this.progress = progress;
        this.deadLetters = deadLetters;
        this.retryFirst = retryFirst;
        this.retryMax = retryMax;
    }

    /**
     * Handles one poll: stores its Failures, dead-letters its malformed records, records how far each partition was
     * read ({@link ResultsProgress}).
     *
     * @param records one poll of {@code provisioning.results} (any of this replica's partitions)
     * @return completes when every record of the poll is stored, skipped or dead-lettered; the poll is then acked.
     *         Fails only if a dead letter could not be sent
     */
    @Incoming(Channels.RESULTS)
    @Acknowledgment(Acknowledgment.Strategy.POST_PROCESSING)
    public Uni<Void> onResults(ConsumerRecords<String, String> records) {
        return polls.run(() -> handle(records).replaceWith(Boolean.TRUE), Boolean.FALSE)
                // a failure once the notifier stops is the stop's (a store given up): the poll stays unacked
                .onFailure(e -> polls.retriesEnded()).recoverWithItem(e -> {
                    LOG.infof("a poll of %s was not stored as the notifier stops: left unacked, it is consumed "
                            + "again after the next start (%s)", Plural.of(records.count(), "result"), e.toString());
                    return Boolean.FALSE;
                })
                .chain(handled -> {
                    if (handled) {
                        return Uni.createFrom().voidItem();
                    }
                    LOG.debugf("a poll of %d results is left unacked as the notifier stops: it is consumed again after "
                            + "the next start", records.count());
                    // neither completed (acked) nor failed (nacked, the channel failed): left for the next start
                    return Uni.createFrom().<Void>nothing();
                });
    }

    /**
     * The notifier stops ({@link NotifierStop#PAUSE_CONSUMERS}): nothing more is fetched, and a store that fails is
     * no longer retried (one waiting for its backoff gives up now).
     */
    void pause(@Observes @Priority(NotifierStop.PAUSE_CONSUMERS) ShutdownEvent event) {
        polls.endRetries();
        ConsumerPause.pause(kafka, Channels.RESULTS);
    }

    /**
     * The notifier stops ({@link NotifierStop#DRAIN_CONSUMERS}): the polls fetched before the pause are handled until
     * none has been under way for {@link #DRAINED} (the consumer paused again meanwhile: SmallRye resumes it when its
     * queue drains), at most until the stop's deadline; then no poll is handled any more and the one under way is
     * waited for.
     */
    void drain(@Observes @Priority(NotifierStop.DRAIN_CONSUMERS) ShutdownEvent event) {
        if (!drain(stop.left())) {
            LOG.infof("a poll of results was still being handled at the stop's deadline: abandoned unacked, it is "
                    + "consumed again after the next start");
        }
    }

    /**
     * The notifier stops ({@link NotifierStop#COMMITS}): SmallRye's periodic commit of the offsets acked is waited for
     * on this channel and on {@code job-states} at once ({@link CommitsSettled}), so that none is under way when
     * SmallRye closes the consumers.
     */
    void commits(@Observes @Priority(NotifierStop.COMMITS) ShutdownEvent event) {
        if (!CommitsSettled.await(kafka, stop.left(), Channels.RESULTS, Channels.JOB_STATES)) {
            LOG.infof("the offsets of results and job states acked were not all committed by the stop's deadline: "
                    + "they are consumed again after the next start");
        }
    }

    /** {@link #drain(ShutdownEvent)} within {@code grace}: whether every poll under way ended within it. */
    boolean drain(Duration grace) {
        return polls.drain(DRAINED, grace, () -> ConsumerPause.pause(kafka, Channels.RESULTS));
    }

    private Uni<Void> handle(ConsumerRecords<String, String> records) {
        ResultsBatch batch = ResultsBatch.of(records, this::wanted);
        Instant receivedAt = Instant.now();
        return Uni.join().all(deadLetterMalformed(batch.malformed()), store(batch, receivedAt)).andFailFast()
                .invoke(() -> batch.highestOffsets().forEach((tp, offset) -> progress.handled(tp.topic(),
                        tp.partition(), offset)))
                .replaceWithVoid();
    }

    /** A Failure is stored unless its job is known to send no failure emails. */
    private boolean wanted(ProvisioningResult result) {
        var job = jobs.find(result.jobId());
        return job.isEmpty() || KnownJobs.wantsFailureEmails(job.get());
    }

    private Uni<Void> store(ResultsBatch batch, Instant receivedAt) {
        if (batch.toStore().isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Outcome outcome = new Outcome(batch);
        return storeOrSplit(batch.toStore(), receivedAt, outcome)
                .invoke(() -> count(batch, outcome))
                .chain(() -> deadLetterAll(outcome.dead));
    }

    /**
     * Stores {@code failures} in one statement, retried with backoff while the database fails
     * ({@link #STORE_RETRIES}); after the last retry they are dead-lettered with the reason, unless the notifier
     * stops: then the failure is the {@code Uni}'s (the poll is left unacked). When the database refuses
     * them ({@link Refusals#refused}: SQLSTATE class 22 or 23, never retried), one failure may be the cause, so they
     * are split in halves, stored one after the other, each split again while refused, down to the failures refused on
     * their own: only those are dead-lettered, with a reason that names the job and the field ({@link Outbox#refusal}),
     * and the others are stored. One refused failure in a poll of n costs about 2 log2(n) statements more.
     * Fails only once the notifier stops.
     */
    private Uni<Void> storeOrSplit(List<ResultsBatch.Failure> failures, Instant receivedAt, Outcome outcome) {
        List<ProvisioningResult> results = failures.stream().map(ResultsBatch.Failure::result).toList();
        // each attempt runs the statement again; a database hiccup must not send valid failures to the dead-letter
        // topic: they are retried a while first
        return polls.retried(() -> outbox.storeAll(results, receivedAt), e -> !Refusals.refused(e),
                e -> LOG.warnf("storing %s failed, retrying: %s", Plural.of(failures.size(), "failure"), e.toString()),
                retryFirst,
                retryMax, STORE_RETRIES)
                .invoke(outcome.stored::addAll)
                .replaceWithVoid()
                // the notifier stops: not stored is not dead-lettered, the poll stays unacked for the next start
                .onFailure(e -> Refusals.refused(e) || !polls.retriesEnded()).recoverWithUni(e -> Refusals.refused(e)
                        ? refused(failures, receivedAt, outcome, e)
                        : unstored(failures, outcome, e));
    }

    /** The database refused {@code failures} together: one alone is dead-lettered; more are stored in halves. */
    private Uni<Void> refused(List<ResultsBatch.Failure> failures, Instant receivedAt, Outcome outcome,
            Throwable refusal) {
        if (failures.size() == 1) {
            ResultsBatch.Failure f = failures.get(0);
            String reason = Outbox.refusal(f.result(), refusal);
            LOG.errorf("job %s, object %s: %s; dead-lettered", f.result().jobId(), f.result().objectId(), reason);
            outcome.deadLetter(f, reason);
            return Uni.createFrom().voidItem();
        }
        LOG.warnf("the outbox refused %s together (%s): storing them in halves", Plural.of(failures.size(), "failure"),
                refusal.getMessage());
        int half = failures.size() / 2;
        return storeOrSplit(failures.subList(0, half), receivedAt, outcome)
                .chain(() -> storeOrSplit(failures.subList(half, failures.size()), receivedAt, outcome));
    }

    /** The database kept failing for {@code failures}: dead-lettered with the reason, so none is lost. */
    private Uni<Void> unstored(List<ResultsBatch.Failure> failures, Outcome outcome, Throwable e) {
        String reason = "the failure could not be stored in the outbox: "
                + (e.getMessage() == null ? e.toString() : e.getMessage());
        LOG.errorf("%s not be stored in the outbox after %d retries, dead-lettered: %s",
                Plural.of(failures.size(), "failure could", "failures could"), STORE_RETRIES, e.toString());
        failures.forEach(f -> outcome.deadLetter(f, reason));
        return Uni.createFrom().voidItem();
    }

    /**
     * What storing a poll's Failures came to: the result ids stored (as the outbox returned them) and the records to
     * dead-letter (a Failure not stored and every repeat of it in the poll, each with the reason). Written by one
     * statement's outcome at a time (the halves run one after the other).
     */
    private static final class Outcome {

        final Set<String> stored = new HashSet<>();
        final List<Dead> dead = new ArrayList<>();
        final Set<String> deadIds = new HashSet<>();
        private final Map<String, List<ResultsBatch.Failure>> repeats;

        Outcome(ResultsBatch batch) {
            repeats = batch.repeated().stream().collect(Collectors.groupingBy(f -> f.result().resultId()));
        }

        void deadLetter(ResultsBatch.Failure f, String reason) {
            deadIds.add(f.result().resultId());
            dead.add(new Dead(f.record(), reason));
            repeats.getOrDefault(f.result().resultId(), List.of()).forEach(r -> dead.add(new Dead(r.record(), reason)));
        }
    }

    private void count(ResultsBatch batch, Outcome outcome) {
        for (ResultsBatch.Failure f : batch.toStore()) {
            // the outbox returns the ids as it stored them (Outbox.storeAll: a NUL character replaced)
            if (outcome.stored.contains(StorableText.of(f.result().resultId()))) {
                metrics.failureStored(f.result().jobId());
            } else if (!outcome.deadIds.contains(f.result().resultId())) {
                deduplicated(f.result());
            }
        }
        batch.repeated().stream().filter(f -> !outcome.deadIds.contains(f.result().resultId()))
                .forEach(f -> deduplicated(f.result()));
    }

    private void deduplicated(ProvisioningResult r) {
        LOG.debugf("job %s, object %s: result %s already stored", r.jobId(), r.objectId(), r.resultId());
        metrics.failureDeduplicated(r.jobId());
    }

    private Uni<Void> deadLetterMalformed(List<ResultsBatch.Malformed> malformed) {
        malformed.forEach(m -> LOG.warnf("result record %s-%d@%d is malformed, dead-lettered: %s",
                m.record().topic(), m.record().partition(), m.record().offset(), m.reason()));
        return deadLetterAll(malformed.stream().map(m -> new Dead(m.record(), m.reason())).toList());
    }

    /** A record to dead-letter and why. */
    private record Dead(ConsumerRecord<String, String> record, String reason) {
    }

    /**
     * Sends records to {@code provisioning.results.dlq}: key and value as they came, the reason in the
     * {@code dead-letter-reason} header, and {@code dead-letter-topic}, {@code -partition}, {@code -offset}.
     *
     * @return completes when the broker acked every dead letter; fails if one could not be sent
     */
    private Uni<Void> deadLetterAll(List<Dead> dead) {
        if (dead.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Multi.createFrom().iterable(dead)
                .onItem().transformToUni(this::deadLetter).merge(DEAD_LETTERS_IN_FLIGHT)
                .collect().last().replaceWithVoid();
    }

    private Uni<Void> deadLetter(Dead dead) {
        ConsumerRecord<String, String> record = dead.record();
        Headers headers = DeadLetterHeaders.of(dead.reason(), record.topic(), record.partition(), record.offset());
        OutgoingKafkaRecordMetadata<String> metadata = OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(record.key()).withHeaders(headers).build();
        return deadLetters.sendMessage(Message.of(record.value() == null ? "" : record.value()).addMetadata(metadata));
    }
}
