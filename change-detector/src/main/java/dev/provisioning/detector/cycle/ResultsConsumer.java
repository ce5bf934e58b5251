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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.config.DetectorMeters;
import dev.provisioning.detector.config.DetectorStop;
import dev.provisioning.detector.job.Cycle;
import dev.provisioning.detector.job.QuarantineSchedule;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.DatabaseFailures;
import dev.provisioning.detector.persistence.JobStore;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.detector.persistence.ProvisioningLogRepository.Recorded;
import dev.provisioning.detector.persistence.ProvisioningLogRepository.RecordedAll;
import dev.provisioning.detector.persistence.SnapshotRepository;
import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.telemetry.CommitsSettled;
import dev.provisioning.telemetry.ConsumerPause;
import dev.provisioning.telemetry.DeadLetterHeaders;
import dev.provisioning.telemetry.Plural;
import dev.provisioning.telemetry.ScheduledRounds;
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
 * recording them one by one in offset order. A database error is retried with backoff ({@code detector.results.*}:
 * 1 s doubling to 30 s) for as long as it lasts, and the poll stays unacked; only when the
 * database refuses the data itself (SQLSTATE class 22 or 23) is the poll split in halves, recorded in order, each split
 * again while refused, and the results refused alone dead-lettered with the database's message.</li>
 * <li>Each job's results are judged in one load-change-save of the job ({@link JobStore#update}), each result with
 * its cycle's counts as they were right after it was counted ({@link RunningCounts}), then the job's completed cycles
 * are finished, each in one transaction with its follow-up, and its later outcomes followed up. Jobs are handled
 * concurrently, so one job's retries never delay another's. A database error while judging (the poll's results are
 * committed by then), or an attempt unanswered for {@code detector.results.judge-attempt-timeout} (30 s), retries
 * the job's steps not done yet, with the same backoff, for as long as it lasts: the poll stays unacked and nothing
 * is dead-lettered; after {@value #JUDGE_ATTEMPTS} failed attempts readiness is down ({@link ResultsJudging}) until
 * the job is judged. Only a failure that is not the database's (the result cannot be judged) dead-letters the job's
 * records of the poll, with the reason.</li>
 * <li>The poll is acked ({@link KafkaRecordBatch#ack()}: SmallRye 4.33 acks each partition's last record of the
 * poll, and the {@code throttled} commit strategy commits past it once every earlier record is acked too).</li>
 * </ol>
 * At least once, idempotently: a crash anywhere before the offset commit redelivers the poll; its results are then
 * already recorded (by result id: counted once), judging again changes nothing, and a cycle is finished, and followed
 * up, once ({@code finished_at} guard, in the follow-up's transaction). A database outage longer than the channel's
 * {@code unprocessed-record-max-age} (5 min) makes SmallRye close the consumer (readiness stays down): the pod restarts
 * and the unacked polls are redelivered. The method fails only when a dead letter cannot be sent (Kafka unreachable):
 * the channel's {@code failure-strategy=fail} then stops it, readiness goes down and the records are redelivered after
 * the restart.
 *
 * <p>
 * A clean stop ({@link DetectorStop}) finishes the consumer's work while the database still answers: at its start the
 * consumer is paused (nothing more is fetched), the polls fetched before are handled and acked as usual, and once none
 * has been under way for {@link #DRAINED} (or at the stop's deadline) no poll is handled any more, the one under way
 * is waited for and a failure is no longer retried (nor dead-lettered: it is the stop's); a poll not handled is not
 * acked. SmallRye's graceful close of the channel, which comes after the database pool is closed, then finds every
 * poll delivered acked: before, it waited 5 s for the poll that was failing against the closed pool and warned
 * (SRMSG18245). What was not acked is consumed again after the next start, as after a crash.
 */
@ApplicationScoped
public class ResultsConsumer {

    public static final String CHANNEL = "results";
    /** The dead-letter channel: topic {@code provisioning.results.dlq}. */
    public static final String DEAD_LETTERS = "results-dead-letters";
    /** Failed attempts to judge a job's results after which readiness reports it ({@link ResultsJudging}). */
    public static final int JUDGE_ATTEMPTS = 5;
    /** At a stop, how long no poll has been under way before the polls fetched are taken as handled. */
    static final Duration DRAINED = Duration.ofMillis(300);
    private static final Logger LOG = Logger.getLogger(ResultsConsumer.class);

    private final ProvisioningLogRepository log;
    private final CycleRepository cycles;
    private final JobStore jobs;
    private final SnapshotRepository snapshots;
    private final QuarantineSchedule quarantineSchedule;
    private final MeterRegistry registry;
    private final SendLimit<String> deadLetters;
    private final ResultsJudging judging;
    private final DetectorConfig.Results retries;
    private final CycleScheduler scheduler;
    private final Duration schedulerTick;
    private final DetectorStop stop;
    private final KafkaClientService kafka;
    /** The polls being handled: none starts once the detector stopped taking them ({@link #drain}). */
    private final ScheduledRounds polls = new ScheduledRounds();

    public ResultsConsumer(ProvisioningLogRepository log, CycleRepository cycles, JobStore jobs,
            SnapshotRepository snapshots, QuarantineSchedule quarantineSchedule, MeterRegistry registry,
            @Channel(DEAD_LETTERS) MutinyEmitter<String> deadLetters, @Readiness ResultsJudging judging,
            CycleScheduler scheduler, DetectorConfig config, DetectorStop stop, KafkaClientService kafka) {
        this.stop = stop;
        this.kafka = kafka;
        this.judging = judging;
        this.retries = config.results();
        this.scheduler = scheduler;
        this.schedulerTick = config.schedulerTick();
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

    /**
     * The detector stops ({@link DetectorStop}): the consumer is paused, so nothing is fetched from now on; the polls
     * fetched before go on being handled (and acked) while the database answers.
     */
    void pause(@Observes @Priority(DetectorStop.PAUSE_RESULTS) ShutdownEvent event) {
        ConsumerPause.pause(kafka, CHANNEL);
    }

    /**
     * The detector stops: the polls fetched before the pause are handled until none has been under way for
     * {@link #DRAINED} (the consumer is paused again meanwhile: SmallRye resumes it when its queue drains), at most
     * until the stop's deadline; then no poll is handled any more and the one under way is waited for. Every poll
     * delivered so far is then acked, so SmallRye's graceful close, after the pool is closed, finds nothing unacked.
     */
    void drain(@Observes @Priority(DetectorStop.DRAIN_RESULTS) ShutdownEvent event) {
        if (!polls.drain(DRAINED, stop.left(), () -> ConsumerPause.pause(kafka, CHANNEL))) {
            LOG.infof("a poll of results was still being handled at the stop's deadline: abandoned unacked, it is "
                    + "consumed again after the next start");
        }
    }

    @Incoming(CHANNEL)
    public Uni<Void> onResults(KafkaRecordBatch<String, String> batch) {
        return polls.run(() -> handle(batch).replaceWith(true), false).onFailure(e -> polls.stopping())
                .recoverWithItem(e -> {
                    LOG.infof("a poll of %s failed as the detector stops: left unacked, it is consumed again after "
                            + "the next start (%s)", Plural.of(batch.getRecords().size(), "result"), e.toString());
                    return true;
                }).invoke(handled -> {
                    if (!handled) {
                        LOG.debugf("a poll of %s is left unacked as the detector stops: it is consumed again after "
                                + "the next start", Plural.of(batch.getRecords().size(), "result"));
                    }
                }).replaceWithVoid();
    }

    /**
     * The detector stops ({@link DetectorStop#COMMITS}): SmallRye's periodic commit of the offsets acked is waited for,
     * so that none is under way when SmallRye closes the consumer ({@link CommitsSettled}).
     */
    void commits(@Observes @Priority(DetectorStop.COMMITS) ShutdownEvent event) {
        if (!CommitsSettled.await(kafka, stop.left(), CHANNEL)) {
            LOG.infof("the offsets of results acked were not all committed by the stop's deadline: they are consumed "
                    + "again after the next start");
        }
    }

    /** Steps 1 to 4 (see the class comment). */
    private Uni<Void> handle(KafkaRecordBatch<String, String> batch) {
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
     * Step 2: records the results, retried while the database is unavailable; when it refuses the data, in halves
     * ({@link #bisected}: the refused ones are dead-lettered and left out of what follows).
     */
    private Uni<Stored> store(List<Item> items) {
        if (items.isEmpty()) {
            return Uni.createFrom().item(Stored.NONE);
        }
        return retried(items.stream().map(Item::result).toList())
                .map(all -> counted(items, all))
                .onFailure(DatabaseFailures::refused).recoverWithUni(e -> {
                    LOG.warnf("the database refused a poll of %s (%s): recording it in halves",
                            Plural.of(items.size(), "result"), e.getMessage());
                    return bisected(items);
                });
    }

    private Uni<RecordedAll> retried(List<ProvisioningResult> results) {
        return retriedWhile(log.recordAll(results), e -> !DatabaseFailures.refused(e), e -> LOG.warnf(
                "recording %s failed, retried: %s", Plural.of(results.size(), "result"), e.getMessage()));
    }

    /**
     * {@code uni} subscribed again after each failure that {@code worth} accepts (each reported to {@code failed}
     * first), with backoff ({@code detector.results.retry-first} doubling to {@code detector.results.retry-max}), for
     * as long as it fails so; any other failure ends it. {@code uni} must do its work on each subscription (deferred).
     */
    private <T> Uni<T> retriedWhile(Uni<T> uni, Predicate<Throwable> worth, Consumer<Throwable> failed) {
        // once the detector stops, a failure is not retried: the poll stays unacked for the next start
        Predicate<Throwable> retried = e -> !polls.stopping() && worth.test(e);
        return uni.onFailure(retried).invoke(failed).onFailure(retried).retry()
                .withBackOff(retries.retryFirst(), retries.retryMax())
                .indefinitely();
    }

    /**
     * The poll's results after the database refused them together: one result may be the cause (a "poison row"), so
     * the poll is split in halves, recorded one after the other (the earlier results first, so each object's results
     * keep their order), each split again when refused so, down to single results, which are dead-lettered (as
     * scim-writer's {@code MicroBatcher}). A poll with one refused result costs about 2 log2(n) transactions, not n.
     */
    private Uni<Stored> bisected(List<Item> items) {
        List<Item> kept = new ArrayList<>();
        List<Recorded> recorded = new ArrayList<>();
        Map<String, Cycle> counted = new HashMap<>();
        return halves(items, kept, recorded, counted).map(ignored -> counted(kept, new RecordedAll(recorded, counted)));
    }

    private Uni<Void> halves(List<Item> items, List<Item> kept, List<Recorded> recorded, Map<String, Cycle> counted) {
        int half = items.size() / 2;
        return bisect(items.subList(0, half), kept, recorded, counted)
                .chain(() -> bisect(items.subList(half, items.size()), kept, recorded, counted));
    }

    private Uni<Void> bisect(List<Item> items, List<Item> kept, List<Recorded> recorded, Map<String, Cycle> counted) {
        return retried(items.stream().map(Item::result).toList()).invoke(all -> {
            kept.addAll(items);
            recorded.addAll(all.recorded());
            // each cycle as it stands after the latest recording
            counted.putAll(all.counted());
        }).replaceWithVoid().onFailure(DatabaseFailures::refused).recoverWithUni(e -> items.size() > 1
                ? halves(items, kept, recorded, counted)
                : deadLetter(items.get(0).record(), items.get(0).result().jobId(),
                        "the database refused the result: " + e.getMessage()));
    }

    /**
     * Counts the newly recorded results in the meters: summed per tag set over the poll, so a poll of hundreds of
     * results looks its counters up a few times, not once per result.
     */
    private Stored counted(List<Item> items, RecordedAll all) {
        Map<List<String>, Integer> results = new HashMap<>();
        Map<List<String>, Integer> byCode = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            ProvisioningResult result = items.get(i).result();
            if (all.recorded().get(i).recorded()) {
                results.merge(List.of(result.jobId(), result.action().name(), result.status().name()), 1,
                        Integer::sum);
                if (result.errorCode() != null) {
                    byCode.merge(List.of(result.jobId(), result.status().name(), result.errorCode()), 1,
                            Integer::sum);
                }
            } else {
                LOG.debugf("result %s was already recorded", result.resultId());
            }
        }
        results.forEach((tags, n) -> registry.counter(DetectorMeters.RESULTS, PROVISIONING_JOB, tags.get(0),
                "action", tags.get(1), "status", tags.get(2)).increment(n));
        byCode.forEach((tags, n) -> registry.counter(DetectorMeters.RESULTS_BY_CODE, PROVISIONING_JOB, tags.get(0),
                "status", tags.get(1), "code", tags.get(2)).increment(n));
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
        // a read after the poll's commit: a database error here is retried as the recording is, never fails the poll
        return retriedWhile(Uni.createFrom().deferred(() -> cycles.findAll(unread)),
                DatabaseFailures::isTransient, e -> LOG.warnf("reading %s of a poll failed, retried: %s",
                        Plural.of(unread.size(), "cycle"), e.getMessage()))
                .chain(found -> {
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
     * One job's results of the poll: judged in one load-change-save, then its completed cycles finished (each with its
     * follow-up, atomically), then its later outcomes followed up. A transient database error
     * ({@link DatabaseFailures#isTransient}) retries the steps not done yet, with backoff ({@code detector.results.*}:
     * 1 s doubling to 30 s) for as long as it lasts: the poll stays unacked, and after {@value #JUDGE_ATTEMPTS} failed
     * attempts the job is reported to readiness ({@link ResultsJudging}) until its
     * judging succeeds. Only a failure that is not the database's (the result cannot be judged) dead-letters the job's
     * records of the poll, with the reason.
     */
    private Uni<Void> job(String jobId, List<Handled> results, Map<String, Cycle> cycleStates) {
        List<Cycle> complete = new ArrayList<>();
        Set<String> cycleIds = new LinkedHashSet<>();
        List<Handled> changedLater = new ArrayList<>();
        for (Handled h : results) {
            if (h.item().result().retryOf() == null) {
                cycleIds.add(h.item().result().cycleId());
            } else if (h.recorded().managedUsersChanged()) {
                changedLater.add(h);
            }
        }
        for (String cycleId : cycleIds) {
            Cycle cycle = cycleStates.get(cycleId);
            if (cycle != null && cycle.completeButNotFinished()) {
                complete.add(cycle);
            }
        }
        Progress progress = new Progress();
        AtomicInteger failures = new AtomicInteger();
        Uni<Void> attempt = Uni.createFrom().deferred(() -> steps(jobId, results, complete, changedLater, progress))
                .ifNoItem().after(retries.judgeAttemptTimeout()).failWith(() -> new TimeoutException(
                        "no answer from the database in " + retries.judgeAttemptTimeout().toMillis() + " ms"));
        return retriedWhile(attempt, DatabaseFailures::isTransient, e -> {
            int failed = failures.incrementAndGet();
            if (failed == JUDGE_ATTEMPTS) {
                judging.stalled(jobId);
                LOG.errorf("job %s: %s not be judged in %d attempts (%s): the poll stays unacked, readiness "
                        + "is down, and judging is retried (at most %d ms apart) until the database answers", jobId,
                        Plural.of(results.size(), "result could", "results could"), failed, e.getMessage(),
                        retries.retryMax().toMillis());
            } else {
                LOG.warnf("job %s: judging %s failed (attempt %d), retried: %s", jobId,
                        Plural.of(results.size(), "result"), failed, e.getMessage());
            }
        })
                .invoke(() -> {
                    if (failures.get() >= JUDGE_ATTEMPTS) {
                        LOG.infof("job %s: its %s judged after %d failed attempts", jobId,
                                Plural.of(results.size(), "result is", "results are"), failures.get());
                    }
                })
                .eventually(() -> {
                    if (failures.get() >= JUDGE_ATTEMPTS) {
                        judging.recovered(jobId);
                    }
                })
                // a failure as the detector stops is the stop's: the poll stays unacked for the next start
                .onFailure(e -> !polls.stopping()).recoverWithUni(e -> {
                    LOG.errorf("job %s: %s cannot be judged and %s dead-lettered: %s", jobId,
                            Plural.of(results.size(), "result"), Plural.noun(results.size(), "is", "are"),
                            e.getMessage());
                    return all(results.stream().map(h -> deadLetter(h.item().record(), jobId,
                            "the result cannot be judged: " + e.getMessage())).toList());
                });
    }

    /**
     * What of a job's judging is done: a retry runs only the steps that did not commit, so the quarantine rules see
     * each result once and each cycle is finished, and followed up, once.
     */
    private static final class Progress {
        volatile boolean judged;
        final Set<String> finished = ConcurrentHashMap.newKeySet();
        volatile boolean laterOutcomes;
    }

    private Uni<Void> steps(String jobId, List<Handled> results, List<Cycle> complete, List<Handled> changedLater,
            Progress progress) {
        Uni<Void> done = progress.judged
                ? Uni.createFrom().voidItem()
                : judge(jobId, results).invoke(() -> progress.judged = true);
        for (Cycle cycle : complete) {
            if (!progress.finished.contains(cycle.id())) {
                done = done.chain(() -> finish(jobId, cycle)).invoke(() -> progress.finished.add(cycle.id()));
            }
        }
        if (!changedLater.isEmpty() && !progress.laterOutcomes) {
            done = done.chain(() -> laterOutcomes(jobId, changedLater)).invoke(() -> progress.laterOutcomes = true);
        }
        return done;
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
     * What finishing a cycle did.
     *
     * @param first this call marked the cycle finished (nobody had)
     * @param followedUp the job brought its next cycle forward
     * @param dueNow the job's next cycle is due now ({@link dev.provisioning.detector.job.ProvisioningJob#previousCycleFinished})
     */
    private record Finished(boolean first, boolean followedUp, boolean dueNow) {
    }

    /**
     * The poll completed this cycle: marks it finished and, when the cycle added users to Druva or removed some, lets
     * the job bring its next cycle forward so that group memberships follow, in one transaction with the job's save
     * ({@link JobStore#update(String, JobStore.Change)}): the follow-up happens exactly when the cycle is marked
     * finished, never twice (the {@code finished_at} guard) and never lost to a failure between the two. Records the
     * cycle's duration once, after the commit. A job that no longer exists only has the cycle marked finished.
     */
    private Uni<Void> finish(String jobId, Cycle cycle) {
        Uni<Boolean> groups = cycle.results().managedUsersChanged()
                ? snapshots.holdsGroups(jobId)
                : Uni.createFrom().item(false);
        return groups.chain(holdsGroups -> jobs.update(jobId, (job, tx) -> cycles.finished(tx, cycle.id())
                .map(first -> {
                    Instant now = Instant.now();
                    boolean followedUp = first && job.followUp(cycle, holdsGroups, now);
                    return new Finished(first, followedUp,
                            first && job.previousCycleFinished(schedulerTick, now));
                })))
                .chain(finished -> finished.isPresent()
                        ? Uni.createFrom().item(finished.get())
                        : cycles.finished(cycle.id()).map(first -> new Finished(first, false, false)))
                .invoke(finished -> {
                    if (finished.dueNow()) {
                        // the next cycle waited for this one's results: it starts now, not at a later tick
                        scheduler.claimNow();
                    }
                    if (finished.first()) {
                        registry.timer(DetectorMeters.CYCLE_DURATION, PROVISIONING_JOB, jobId)
                                .record(Duration.between(cycle.startedAt(), Instant.now()));
                    }
                    if (finished.followedUp()) {
                        LOG.infof("job %s: cycle %s changed which users Druva holds: the next cycle runs now to "
                                + "update group memberships", jobId, cycle.id());
                    }
                }).replaceWithVoid();
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
