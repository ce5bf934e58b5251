package dev.provisioning.notifier.messaging;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.reactive.messaging.Acknowledgment;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.StorableText;
import dev.provisioning.notifier.NotifierMetrics;
import dev.provisioning.notifier.persistence.Outbox;
import dev.provisioning.telemetry.DeadLetterHeaders;

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
 */
public class ResultsConsumer {

    private static final Logger LOG = Logger.getLogger(ResultsConsumer.class);
    /** About half a minute of retries, below the throttled commit strategy's 60 s limit for an unprocessed record. */
    static final int STORE_RETRIES = 6;
    private static final Duration STORE_RETRY_FIRST = Duration.ofMillis(500);
    private static final Duration STORE_RETRY_MAX = Duration.ofSeconds(8);
    /** Dead letters in flight at once, well below the emitter's buffer (a poll holds at most 500 records). */
    private static final int DEAD_LETTERS_IN_FLIGHT = 64;

    private final KnownJobs jobs;
    private final Outbox outbox;
    private final NotifierMetrics metrics;
    private final ResultsProgress progress;
    private final MutinyEmitter<String> deadLetters;
    private final Duration retryFirst;
    private final Duration retryMax;

    @Inject
    public ResultsConsumer(KnownJobs jobs, Outbox outbox, NotifierMetrics metrics,
            @Identifier(ResultsProgress.NAME) ResultsProgress progress,
            @Channel(Channels.RESULTS_DEAD_LETTERS) MutinyEmitter<String> deadLetters) {
        this(jobs, outbox, metrics, progress, deadLetters, STORE_RETRY_FIRST, STORE_RETRY_MAX);
    }

    /** For tests: the backoff between store attempts, first and longest (there are {@link #STORE_RETRIES}). */
    ResultsConsumer(KnownJobs jobs, Outbox outbox, NotifierMetrics metrics, ResultsProgress progress,
            MutinyEmitter<String> deadLetters, Duration retryFirst, Duration retryMax) {
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
        List<ProvisioningResult> failures = batch.toStore().stream().map(ResultsBatch.Failure::result).toList();
        // deferred: each retry runs the statement again, whether or not storeAll's Uni is lazy
        return Uni.createFrom().deferred(() -> outbox.storeAll(failures, receivedAt))
                // a database hiccup must not send valid failures to the dead-letter topic: retry them a while first
                .onFailure().invoke(e -> LOG.warnf("storing %d failures failed, retrying: %s", failures.size(),
                        e.toString()))
                .onFailure().retry().withBackOff(retryFirst, retryMax).atMost(STORE_RETRIES)
                .invoke(stored -> count(batch, stored))
                .replaceWithVoid()
                .onFailure().recoverWithUni(e -> {
                    String reason = "the failure could not be stored in the outbox: "
                            + (e.getMessage() == null ? e.toString() : e.getMessage());
                    LOG.errorf("%d failures could not be stored in the outbox after %d retries, dead-lettered: %s",
                            batch.failures().size(), STORE_RETRIES, e.toString());
                    return deadLetterAll(batch.failures().stream()
                            .map(f -> new Dead(f.record(), reason)).toList());
                });
    }

    private void count(ResultsBatch batch, Set<String> stored) {
        for (ResultsBatch.Failure f : batch.toStore()) {
            // the outbox returns the ids as it stored them (Outbox.storeAll: a NUL character replaced)
            if (stored.contains(StorableText.of(f.result().resultId()))) {
                metrics.failureStored(f.result().jobId());
            } else {
                deduplicated(f.result());
            }
        }
        batch.repeated().forEach(f -> deduplicated(f.result()));
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
