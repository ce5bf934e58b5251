package dev.provisioning.notifier.messaging;

import java.time.Duration;
import java.time.Instant;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;

import dev.provisioning.events.EventChecks;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.notifier.NotifierMetrics;
import dev.provisioning.notifier.persistence.Outbox;

/**
 * Reads {@code provisioning.results} at least once and stores each Failure that may have to be emailed in the outbox
 * before the record is acknowledged (the returned {@code Uni} completes after the commit). A redelivered result is
 * stored once. A malformed record fails the {@code Uni} and goes to {@code provisioning.results.dlq} with the reason.
 * <p>
 * A database error is retried with backoff for about half a minute before the record is given up to the dead-letter
 * topic.
 * <p>
 * A failure whose job is not known yet is stored anyway: the address is resolved when the digest is sent, so nothing
 * waits here and nothing is lost.
 */
public class ResultsConsumer {

    private static final Logger LOG = Logger.getLogger(ResultsConsumer.class);
    /** About half a minute of retries, below the throttled commit strategy's 60 s limit for an unprocessed record. */
    private static final int STORE_RETRIES = 6;
    private static final Duration STORE_RETRY_FIRST = Duration.ofMillis(500);
    private static final Duration STORE_RETRY_MAX = Duration.ofSeconds(8);

    private final KnownJobs jobs;
    private final Outbox outbox;
    private final NotifierMetrics metrics;
    private final ResultsProgress progress;

    public ResultsConsumer(KnownJobs jobs, Outbox outbox, NotifierMetrics metrics,
            @Identifier(ResultsProgress.NAME) ResultsProgress progress) {
        this.jobs = jobs;
        this.outbox = outbox;
        this.metrics = metrics;
        this.progress = progress;
    }

    @Incoming(Channels.RESULTS)
    public Uni<Void> onResult(ConsumerRecord<String, String> record) {
        return Uni.createFrom().item(() -> EventChecks.result(record.value())).chain(this::handle)
                .eventually(() -> progress.handled(record.topic(), record.partition(), record.offset()));
    }

    private Uni<Void> handle(ProvisioningResult result) {
        if (result.status() != ProvisioningStatus.Failure) {
            return Uni.createFrom().voidItem();
        }
        var job = jobs.find(result.jobId());
        if (job.isPresent() && !KnownJobs.wantsFailureEmails(job.get())) {
            LOG.debugf("job %s, object %s: failure not stored, the job sends no failure emails", result.jobId(),
                    result.objectId());
            return Uni.createFrom().voidItem();
        }
        return Panache.withTransaction(() -> outbox.store(result, Instant.now()))
                // a database hiccup must not send a valid failure to the dead-letter topic: retry it a while first
                .onFailure().invoke(e -> LOG.warnf("job %s, object %s: storing failure %s failed, retrying: %s",
                        result.jobId(), result.objectId(), result.resultId(), e.toString()))
                .onFailure().retry().withBackOff(STORE_RETRY_FIRST, STORE_RETRY_MAX).atMost(STORE_RETRIES)
                .invoke(stored -> {
                    if (stored) {
                        metrics.failureStored(result.jobId());
                    } else {
                        LOG.debugf("job %s, object %s: result %s already stored", result.jobId(), result.objectId(),
                                result.resultId());
                        metrics.failureDeduplicated(result.jobId());
                    }
                })
                .replaceWithVoid();
    }
}
