package dev.provisioning.detector.messaging;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.Record;

import dev.provisioning.detector.config.DetectorStop;
import dev.provisioning.detector.persistence.Outbox;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.telemetry.Plural;
import dev.provisioning.telemetry.ScheduledRounds;

/**
 * Publishes what job saves stored in the outbox: configurations and tombstones to the compacted
 * {@code provisioning.jobs} (channel {@value #JOBS_CHANNEL}), job state events to {@code provisioning.job-states}
 * (channel {@value #JOB_STATES_CHANNEL}), both keyed by job id, then marks them sent. It runs when a save stored
 * records, and every {@code detector.outbox-interval} for what other replicas or failed passes left. A pass that
 * does not end within {@link #PASS_WAIT} counts as failed; its records stay unsent and a later pass takes them (while
 * the stuck one's transaction holds the relay's lock, passes find it taken and read nothing).
 *
 * <p>
 * At least once, in order per job: each job's records are sent one after the other, each awaiting the broker's ack
 * ({@code acks=all}); jobs go in parallel. A record the broker refuses holds back only its own job's later records
 * (retried on the next pass); other jobs go on. One relay runs at a time across replicas (a lock in PostgreSQL).
 *
 * <p>
 * At start-up every job's configuration is queued once more: services that read the compacted topic from the
 * beginning then find every job even if the topic was recreated or lost records. It goes through the outbox, so it
 * cannot overtake a newer revision of the same job.
 *
 * <p>
 * At a clean stop the relay stops last ({@link DetectorStop}): the passes asked for by the saves of the stop's other
 * steps (cycles handed back) run while the database and the broker still answer; then no pass starts, and the one under
 * way is waited for until the stop's deadline. A record not published stays unsent for the next start.
 */
@ApplicationScoped
public class OutboxRelay {

    public static final String JOBS_CHANNEL = "jobs";
    public static final String JOB_STATES_CHANNEL = "job-states";
    /** Records read per pass. */
    static final int BATCH = 500;
    /** Jobs whose records are sent at the same time. */
    static final int JOBS_IN_PARALLEL = 16;
    /**
     * How long a pass may take before it counts as failed and the next run may start one: a statement the database
     * never answers would otherwise stop the relay for good. Longer than a send may take (Kafka's default delivery
     * timeout, 2 minutes), so a slow broker fails its sends rather than the pass.
     */
    static final Duration PASS_WAIT = Duration.ofMinutes(3);
    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);

    private final Outbox outbox;
    private final MutinyEmitter<Object> jobs;
    private final MutinyEmitter<String> states;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean requested = new AtomicBoolean();
    /** Whether the last pass failed (an outage is logged once, and its end). */
    private final AtomicBoolean failing = new AtomicBoolean();
    private final Set<String> failingJobs = ConcurrentHashMap.newKeySet();
    /** The passes: none starts once the detector stops, the one under way is waited for. */
    private final ScheduledRounds passes = new ScheduledRounds();
    private final DetectorStop stop;

    public OutboxRelay(Outbox outbox, @Channel(JOBS_CHANNEL) MutinyEmitter<Object> jobs,
            @Channel(JOB_STATES_CHANNEL) MutinyEmitter<String> states, DetectorStop stop) {
        this.stop = stop;
        this.outbox = outbox;
        this.jobs = jobs;
        this.states = states;
    }

    void republishAtStartup(@Observes StartupEvent event) {
        outbox.queueAllJobConfigurations().subscribe().with(
                queued -> LOG.infof("queued %s to be published again", Plural.of(queued, "job configuration")),
                failure -> LOG.errorf("could not queue the job configurations to be published again: %s", failure));
    }

    /**
     * The detector stops, last ({@link DetectorStop#OUTBOX}): the passes the other steps' saves asked for have run, no
     * pass starts any more, and the one under way is waited for until the stop's deadline. What is not published
     * stays in {@code job_outbox} and is published after the next start.
     */
    void stop(@Observes @Priority(DetectorStop.OUTBOX) ShutdownEvent event) {
        if (!passes.stop(stop.left())) {
            LOG.infof("an outbox pass was still under way at the stop's deadline: abandoned, its records stay unsent "
                    + "and are published after the next start");
        }
    }

    void onWritten(@Observes Outbox.Written written) {
        relay();
    }

    // not while the application starts or stops: the Kafka emitters may not be connected then
    @Scheduled(every = "${detector.outbox-interval:1s}", delayed = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void sweep() {
        relay();
    }

    /** Runs a pass now, or right after the one running (passes never overlap within a replica). */
    void relay() {
        requested.set(true);
        if (running.compareAndSet(false, true)) {
            pass();
        }
    }

    private void pass() {
        requested.set(false);
        // a pass not started because the detector stops reads -1: no pass follows it
        passes.run(() -> outbox.relay(BATCH, this::publish)
                .ifNoItem().after(PASS_WAIT).failWith(() -> new TimeoutException("the pass did not end in "
                        + PASS_WAIT.toSeconds() + " s")),
                -1)
                .subscribe().with(read -> {
                    running.set(false);
                    if (read < 0) {
                        return;
                    }
                    if (failing.getAndSet(false)) {
                        LOG.info("the outbox relay works again");
                    }
                    if (read == BATCH || requested.get()) {
                        relay();
                    }
                }, failure -> {
                    running.set(false);
                    if (passes.stopping()) {
                        LOG.debugf("an outbox pass failed as the detector stops (its records are published after the "
                                + "next start): %s", failure);
                    } else if (!failing.getAndSet(true)) {
                        LOG.warnf("the outbox relay failed, tried again on its next runs (logged again when it "
                                + "works): %s", failure);
                    } else {
                        LOG.debugf("the outbox relay failed again: %s", failure);
                    }
                });
    }

    /** Publishes each job's records in order, jobs in parallel; answers the ids published. */
    private Uni<List<Long>> publish(List<Outbox.Record> records) {
        Map<String, List<Outbox.Record>> byJob = new LinkedHashMap<>();
        records.forEach(r -> byJob.computeIfAbsent(r.jobId(), k -> new ArrayList<>()).add(r));
        return Multi.createFrom().iterable(byJob.entrySet())
                .onItem().transformToUni(job -> inOrder(job.getKey(), job.getValue())).merge(JOBS_IN_PARALLEL)
                .collect().in(ArrayList<Long>::new, List::addAll);
    }

    /** Sends one job's records one after the other; stops at the first the broker refuses. */
    private Uni<List<Long>> inOrder(String jobId, List<Outbox.Record> records) {
        List<Long> sent = new ArrayList<>();
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (Outbox.Record r : records) {
            chain = chain.chain(() -> send(r)).invoke(() -> sent.add(r.id()));
        }
        return chain.map(ignored -> {
            if (failingJobs.remove(jobId)) {
                LOG.infof("job %s: its outbox records are published again", jobId);
            }
            return sent;
        }).onFailure().recoverWithItem(failure -> {
            if (passes.stopping()) {
                LOG.debugf("job %s: outbox record %d not published as the detector stops (published after the next "
                        + "start): %s", jobId, records.get(sent.size()).id(), failure);
            } else if (failingJobs.add(jobId)) {
                LOG.warnf("job %s: could not publish outbox record %d (%d of %d sent), tried again on the next pass: "
                        + "%s", jobId, records.get(sent.size()).id(), sent.size(), records.size(), failure);
            }
            return sent;
        });
    }

    private Uni<Void> send(Outbox.Record r) {
        return switch (r.kind()) {
            case JOB_CONFIG -> jobs.sendMessage(r.payload() == null
                    ? Message.of(Record.of(r.jobId(), null))
                    : KafkaRecords.keyed(r.jobId(), r.payload()));
            case JOB_STATE -> states.sendMessage(KafkaRecords.keyed(r.jobId(), r.payload())).invoke(() -> {
                JobStateEvent event = EventChecks.jobState(r.payload());
                LOG.infof("job %s: %s (%s) %s", event.jobId(), event.change(), event.reasonCode(),
                        event.reason() == null ? "" : event.reason());
            });
        };
    }
}
