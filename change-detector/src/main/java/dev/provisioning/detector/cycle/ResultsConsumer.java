package dev.provisioning.detector.cycle;

import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.vertx.pgclient.PgException;

import dev.provisioning.detector.config.DetectorMeters;
import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.job.QuarantineSchedule;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.JobStore;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.detector.persistence.ProvisioningLogRepository.Recorded;
import dev.provisioning.detector.persistence.ProvisioningLogRepository.RecordedAll;
import dev.provisioning.detector.persistence.SnapshotRepository;
import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.telemetry.DeadLetterHeaders;
import dev.provisioning.telemetry.SendLimit;

/**
 * Records every provisioning result in the provisioning log and in its cycle's counts, lets the job apply Entra's
 * quarantine rules to it, and finishes the cycle when the result completed it. Topic in: {@code provisioning.results}
 * (channel {@value #CHANNEL}, {@code batch=true}: one call per poll, up to {@code max.poll.records} records, SmallRye's
 * default 500); what the job raises goes out through the outbox ({@code provisioning.job-states},
 * {@code provisioning.jobs}); records that cannot be handled go to {@code provisioning.results.dlq} (channel
 * {@value #DEAD_LETTERS}) with the reason in the {@code dead-letter-reason} header.
 *
 * <p>
 * Per poll, in this order:
 * <ol>
 * <li>Each record is decoded; one that cannot be ({@link EventChecks#result}) is dead-lettered with the exception's
 * message, which names the field.</li>
 * <li>The results are recorded in one transaction ({@link ProvisioningLogRepository#recordAll}), with the effects of
 * recording them one by one in offset order. A database error is retried with backoff ({@value #RETRY_FIRST_SECONDS}
 * s doubling to {@value #RETRY_MAX_SECONDS} s) for as long as it lasts, and the poll stays unacked; only when the
 * database refuses the data itself (SQLSTATE class 22 or 23) are the results recorded one at a time and the refused
 * ones dead-lettered with the database's message.</li>
 * <li>Each job's results are judged in one load-change-save of the job ({@link JobStore#update}), each result with
 * its cycle's counts as they were right after it was counted ({@link RunningCounts}), then the job's completed cycles
 * are finished and its later outcomes followed up. Jobs are handled concurrently, so one job's retries never delay
 * another's; when a job cannot be saved, its records of the poll are dead-lettered with the reason and the other jobs
 * proceed.</li>
 * <li>The poll is acked ({@link KafkaRecordBatch#ack()}: SmallRye 4.33 acks each partition's last record of the
 * poll, and the {@code throttled} commit strategy commits past it once every earlier record is acked too).</li>
 * </ol>
 * At least once, idempotently: a crash anywhere before the offset commit redelivers the poll; its results are then
 * already recorded (by result id: counted once), judging again changes nothing, and a cycle is finished once
 * ({@code finished_at} guard). The method fails only when a dead letter cannot be sent (Kafka unreachable): the
 * channel's {@code failure-strategy=fail} then stops it, readiness goes down and the records are redelivered after the
 * restart.
 */
@ApplicationScoped
public class ResultsConsumer {

    public static final String CHANNEL = "results";
    /** The dead-letter channel: topic {@code provisioning.results.dlq}. */
    public static final String DEAD_LETTERS = "results-dead-letters";
    static final int RETRY_FIRST_SECONDS = 1;
    static final int RETRY_MAX_SECONDS = 30;
    private static final Logger LOG = Logger.getLogger(ResultsConsumer.class);

    private final ProvisioningLogRepository log;
    private final CycleRepository cycles;
    private final JobStore jobs;
    private final SnapshotRepository snapshots;
    private final QuarantineSchedule quarantineSchedule;
    private final MeterRegistry registry;
    private final SendLimit<String> deadLetters;

    public ResultsConsumer(ProvisioningLogRepository log, CycleRepository cycles, JobStore jobs,
            SnapshotRepository snapshots, QuarantineSchedule quarantineSchedule, MeterRegistry registry,
            @Channel(DEAD_LETTERS) MutinyEmitter<String> deadLetters) {
        this.log = log;
        this.cycles = cycles;
        this.jobs = jobs;
        this.snapshots = snapshots;
        this.quarantineSchedule = quarantineSchedule;
        this.registry = registry;
        this.deadLetters = new SendLimit<>(SendLimit.DEFAULT_MAX, deadLetters::sendMessage);
    }

    /** A decoded record of the poll. */
    private record Item(KafkaRecord<String, String> record, ProvisioningResult result) {
    }

    /** A recorded result of the poll: what recording it did, and the cycle it is judged with. */
    private record Handled(Item item, Recorded recorded, Optional<Cycle> seen) {
    }

    /**
     * The poll's recorded results, in offset order.
     *
     * @param counted the cycles new results were counted in, as stored after the poll, by id
     */
    private record Stored(List<Item> items, List<Recorded> recorded, Map<String, Cycle> counted) {

        static final Stored NONE = new Stored(List.of(), List.of(), Map.of());
    }

    @Incoming(CHANNEL)
    public Uni<Void> onResults(KafkaRecordBatch<String, String> batch) {
        List<Item> items = new ArrayList<>();
        List<Uni<Void>> malformed = new ArrayList<>();
        for (KafkaRecord<String, String> record : batch.getRecords()) {
            try {
                items.add(new Item(record, EventChecks.result(record.getPayload())));
            } catch (RuntimeException e) {
                malformed.add(deadLetter(record, "unknown", e.getMessage()));
            }
        }
        return all(malformed).chain(() -> store(items)).chain(this::judgeEachJob)
                .chain(() -> Uni.createFrom().completionStage(batch::ack));
    }

    /**
     * Step 2: records the results, retried while the database is unavailable; when it refuses the data, one by one
     * (the refused ones are dead-lettered and left out of what follows).
     */
    private Uni<Stored> store(List<Item> items) {
        if (items.isEmpty()) {
            return Uni.createFrom().item(Stored.NONE);
        }
        return retried(items.stream().map(Item::result).toList())
                .map(all -> counted(items, all))
                .onFailure(ResultsConsumer::refused).recoverWithUni(e -> {
                    LOG.warnf("the database refused a poll of %d results (%s): recording them one by one",
                            items.size(), e.getMessage());
                    return oneByOne(items);
                });
    }

    private Uni<RecordedAll> retried(List<ProvisioningResult> results) {
        return log.recordAll(results)
                .onFailure(e -> !refused(e)).invoke(e -> LOG.warnf("recording %d results failed, retried: %s",
                        results.size(), e.getMessage()))
                .onFailure(e -> !refused(e)).retry()
                .withBackOff(Duration.ofSeconds(RETRY_FIRST_SECONDS), Duration.ofSeconds(RETRY_MAX_SECONDS))
                .indefinitely();
    }

    private Uni<Stored> oneByOne(List<Item> items) {
        List<Item> kept = new ArrayList<>();
        List<Recorded> recorded = new ArrayList<>();
        Map<String, Cycle> counted = new HashMap<>();
        Uni<Void> done = Uni.createFrom().voidItem();
        for (Item item : items) {
            done = done.chain(() -> retried(List.of(item.result())).invoke(one -> {
                kept.add(item);
                recorded.add(one.recorded().get(0));
                counted.putAll(one.counted());
            }).replaceWithVoid().onFailure(ResultsConsumer::refused).recoverWithUni(e -> deadLetter(item.record(),
                    item.result().jobId(), "the database refused the result: " + e.getMessage())));
        }
        return done.map(ignored -> counted(kept, new RecordedAll(recorded, counted)));
    }

    /** The data itself is wrong for the database (SQLSTATE class 22 data exception, 23 integrity violation). */
    private static boolean refused(Throwable e) {
        return e instanceof PgException pg && pg.getSqlState() != null
                && (pg.getSqlState().startsWith("22") || pg.getSqlState().startsWith("23"));
    }

    /** Counts the newly recorded results in the meters. */
    private Stored counted(List<Item> items, RecordedAll all) {
        for (int i = 0; i < items.size(); i++) {
            ProvisioningResult result = items.get(i).result();
            if (all.recorded().get(i).recorded()) {
                registry.counter(DetectorMeters.RESULTS, PROVISIONING_JOB, result.jobId(), "action",
                        result.action().name(), "status", result.status().name()).increment();
                if (result.errorCode() != null) {
                    registry.counter(DetectorMeters.RESULTS_BY_CODE, PROVISIONING_JOB, result.jobId(), "status",
                            result.status().name(), "code", result.errorCode()).increment();
                }
            } else {
                LOG.debugf("result %s was already recorded", result.resultId());
            }
        }
        return new Stored(items, all.recorded(), all.counted());
    }

    /**
     * Step 3: the cycles of the poll's results that no new result was counted in (only redeliveries) are read in one
     * query; each result is paired with its cycle as it was right after the result was counted
     * ({@link RunningCounts}); then every job concurrently.
     */
    private Uni<Void> judgeEachJob(Stored stored) {
        if (stored.items().isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Set<String> unread = new LinkedHashSet<>();
        List<RunningCounts.Step> steps = new ArrayList<>();
        for (int i = 0; i < stored.items().size(); i++) {
            ProvisioningResult r = stored.items().get(i).result();
            Recorded recorded = stored.recorded().get(i);
            boolean later = r.retryOf() != null;
            if (!later && !stored.counted().containsKey(r.cycleId())) {
                unread.add(r.cycleId());
            }
            steps.add(new RunningCounts.Step(r.cycleId(), later, recorded.recorded() && !later
                    ? ProvisioningLogRepository.increment(r, recorded.managedUsersChanged())
                    : null));
        }
        return cycles.findAll(unread).chain(found -> {
            Map<String, Cycle> after = new HashMap<>(stored.counted());
            after.putAll(found);
            List<Optional<Cycle>> seen = RunningCounts.asSeen(steps, after);
            Map<String, List<Handled>> byJob = new LinkedHashMap<>();
            for (int i = 0; i < stored.items().size(); i++) {
                Item item = stored.items().get(i);
                byJob.computeIfAbsent(item.result().jobId(), id -> new ArrayList<>())
                        .add(new Handled(item, stored.recorded().get(i), seen.get(i)));
            }
            List<Uni<Void>> perJob = new ArrayList<>();
            byJob.forEach((jobId, results) -> perJob.add(job(jobId, results, after)));
            return all(perJob);
        });
    }

    /**
     * One job's results of the poll: judged in one load-change-save, then its completed cycles finished, then its
     * later outcomes followed up. On failure its records are dead-lettered with the reason.
     */
    private Uni<Void> job(String jobId, List<Handled> results, Map<String, Cycle> cycleStates) {
        Set<String> cycleIds = new LinkedHashSet<>();
        List<Handled> changedLater = new ArrayList<>();
        for (Handled h : results) {
            if (h.item().result().retryOf() == null) {
                cycleIds.add(h.item().result().cycleId());
            } else if (h.recorded().managedUsersChanged()) {
                changedLater.add(h);
            }
        }
        Uni<Void> done = judge(jobId, results);
        for (String cycleId : cycleIds) {
            Cycle cycle = cycleStates.get(cycleId);
            if (cycle != null && cycle.completeButNotFinished()) {
                done = done.chain(() -> finish(jobId, cycle));
            }
        }
        if (!changedLater.isEmpty()) {
            done = done.chain(() -> laterOutcomes(jobId, changedLater));
        }
        return done.onFailure().recoverWithUni(e -> {
            LOG.errorf("job %s: %d results could not be judged and are dead-lettered: %s", jobId, results.size(),
                    e.getMessage());
            return all(results.stream().map(h -> deadLetter(h.item().record(), jobId, e.getMessage())).toList());
        });
    }

    /**
     * The job's quarantine rules, for the results they read (Success, Failure, rejected credentials), in offset order,
     * in one load-change-save; a redelivered result changes nothing.
     */
    private Uni<Void> judge(String jobId, List<Handled> results) {
        List<Handled> judged = results.stream().filter(h -> {
            ProvisioningResult r = h.item().result();
            return r.status() == ProvisioningStatus.Success || r.status() == ProvisioningStatus.Failure
                    || ErrorCodes.INVALID_CREDENTIALS.equals(r.errorCode());
        }).toList();
        if (judged.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return jobs.update(jobId, job -> {
            Instant now = Instant.now();
            for (Handled h : judged) {
                job.afterResult(h.item().result(), h.seen(), now, quarantineSchedule);
            }
            return Boolean.TRUE;
        }).replaceWithVoid();
    }

    /**
     * Later outcomes of escrowed or held operations (the scim-writer's retry ended) that added a user to Druva or
     * removed one: they are in the log and the managed objects already, their cycle is not reopened; the next cycle is
     * brought forward so that the users' groups' members follow.
     */
    private Uni<Void> laterOutcomes(String jobId, List<Handled> changed) {
        return snapshots.holdsGroups(jobId)
                .chain(groups -> jobs.update(jobId, job -> job.referencesChanged(groups, Instant.now())))
                .invoke(asked -> {
                    if (asked.orElse(false)) {
                        LOG.infof("job %s: the escrowed operation of %s succeeded later: the next cycle runs now to "
                                + "update group memberships", jobId,
                                changed.stream().map(h -> h.item().result().objectId()).toList());
                    }
                }).replaceWithVoid();
    }

    /**
     * The poll completed this cycle: records the cycle's duration (once, whoever gets there first) and, when the cycle
     * added users to Druva or removed some, lets the job bring its next cycle forward so that group memberships
     * follow.
     */
    private Uni<Void> finish(String jobId, Cycle cycle) {
        return cycles.finished(cycle.id()).chain(first -> {
            if (!first) {
                return Uni.createFrom().voidItem();
            }
            registry.timer(DetectorMeters.CYCLE_DURATION, PROVISIONING_JOB, jobId)
                    .record(Duration.between(cycle.startedAt(), Instant.now()));
            if (!cycle.results().managedUsersChanged()) {
                return Uni.createFrom().voidItem();
            }
            return snapshots.holdsGroups(jobId)
                    .chain(groups -> jobs.update(jobId, job -> job.followUp(cycle, groups, Instant.now())))
                    .invoke(brought -> {
                        if (brought.orElse(false)) {
                            LOG.infof("job %s: cycle %s changed which users Druva holds: the next cycle runs now "
                                    + "to update group memberships", jobId, cycle.id());
                        }
                    }).replaceWithVoid();
        });
    }

    /**
     * Sends a record to {@code provisioning.results.dlq} with its key and payload, and headers
     * {@code dead-letter-reason} (the reason), {@code dead-letter-topic}, {@code -partition} and {@code -offset} (where
     * it was read). The payload is not logged.
     *
     * @return completes when the broker acked the dead letter; fails if it cannot be sent
     */
    private Uni<Void> deadLetter(KafkaRecord<String, String> record, String jobId, String reason) {
        String why = reason == null ? "unknown" : reason;
        long offset = record.getMetadata(IncomingKafkaRecordMetadata.class).map(IncomingKafkaRecordMetadata::getOffset)
                .orElse(-1L);
        LOG.warnf("job %s: result record %s-%d@%d dead-lettered: %s", jobId, record.getTopic(), record.getPartition(),
                offset, why);
        Headers headers = DeadLetterHeaders.of(why, record.getTopic(), record.getPartition(), offset);
        OutgoingKafkaRecordMetadata<Object> metadata = OutgoingKafkaRecordMetadata.builder()
                .withKey(record.getKey()).withHeaders(headers).build();
        return deadLetters.send(Message.of(record.getPayload() == null ? "" : record.getPayload())
                .addMetadata(metadata));
    }

    /** Runs every one at once; completes when all did, fails when one failed (after all ended). */
    private static Uni<Void> all(List<Uni<Void>> unis) {
        return unis.isEmpty()
                ? Uni.createFrom().voidItem()
                : Uni.join().all(unis).andCollectFailures().replaceWithVoid();
    }
}
