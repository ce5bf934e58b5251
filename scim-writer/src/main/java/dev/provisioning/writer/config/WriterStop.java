package dev.provisioning.writer.config;

import java.time.Duration;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import io.quarkus.runtime.ShutdownEvent;

import dev.provisioning.telemetry.ScheduledRounds;
import dev.provisioning.telemetry.StopDeadline;

/**
 * The order of the scim-writer's clean stop (SIGTERM: the run command, Kubernetes) and its one deadline, as the change
 * detector's ({@code DetectorStop}). Quarkus fires {@code ShutdownEvent} while the PostgreSQL pool and the Kafka
 * channels still work and closes them only after every observer returned; the observers run one after the other,
 * lowest {@code @Priority} first:
 * <ol>
 * <li>{@link #BEGIN}: the stop's deadline is set, {@link ScheduledRounds#GRACE} (10 s) from now, for everything below
 * in all; from now on {@link #stopping} holds.</li>
 * <li>{@link #SCHEDULED}: no escrow poll, backstop round or release of deferred operations starts, nor a purge of
 * {@code processed_operation}, and those under way are waited for ({@code EscrowScheduler},
 * {@code ProcessedOperationPurge}): a release under way admits its rows into their lanes, where the next step hands
 * them back.</li>
 * <li>{@link #OPERATIONS}: no operation starts any more; those running (their Druva request, its retries, their
 * writes) are given {@code writer.lanes.stop-grace} (2 s) to finish and ack their record, then abandoned as in a crash
 * ({@code OperationsPartitions}). The operations waiting in the lanes are handed over: a record is left unacked, a
 * released deferred operation is republished on its key ({@code OperationsConsumer}); the lanes are waited for until
 * they are empty.</li>
 * <li>{@link #COMMITS}: SmallRye's periodic commit of the acked offsets, every {@code auto.commit.interval.ms} (1 s
 * here), is waited for ({@code CommitsSettled}), so that none is under way when SmallRye closes the consumer: one
 * interrupted by the close logs {@code WARN SRMSG18252: Failed to commit ... WakeupException}.</li>
 * <li>{@link #HEARTBEAT}: the replica's heartbeat row is deleted, last, so the other replicas' share of each tenant
 * grows at once ({@code ReplicaHeartbeat}).</li>
 * </ol>
 * What is left (a record not acked, a claimed row not republished) is done after the next start, by this replica or
 * the one its partitions go to: the record is consumed again (not committed), the row released again after its lease;
 * every effect is idempotent ({@code processed_operation}, the id map, the match and 409), so nothing is lost or done
 * twice. The records left unacked are expected: SmallRye's close of {@code operations}, after the pool is closed, does
 * not wait for them ({@code graceful-shutdown=false}: its wait could only end in the warning SRMSG18245). The 10 s stay
 * within the run command's 20 s and Kubernetes' 30 s {@code terminationGracePeriodSeconds}.
 */
@ApplicationScoped
public class WriterStop {

    /** The stop's deadline is set. */
    public static final int BEGIN = Interceptor.Priority.APPLICATION + 100;
    /** Scheduled rounds (escrow polls, releases, purges) end. */
    public static final int SCHEDULED = Interceptor.Priority.APPLICATION + 300;
    /** Running operations finish or are abandoned; waiting ones are handed over. */
    public static final int OPERATIONS = Interceptor.Priority.APPLICATION + 500;
    /** The lanes are empty: every operation handed over. */
    public static final int LANES = Interceptor.Priority.APPLICATION + 600;
    /** SmallRye's periodic offset commit has nothing left to commit. */
    public static final int COMMITS = Interceptor.Priority.APPLICATION + 650;
    /** The replica's heartbeat row goes, last. */
    public static final int HEARTBEAT = Interceptor.Priority.APPLICATION + 700;

    private final StopDeadline deadline = new StopDeadline();

    void begin(@Observes @Priority(BEGIN) ShutdownEvent event) {
        deadline.begin();
    }

    /** Whether the writer is stopping: a failure now may be the stop's (logged at DEBUG or INFO). */
    public boolean stopping() {
        return deadline.begun();
    }

    /**
     * The time left until the deadline, zero once it passed; {@link ScheduledRounds#GRACE} when the stop has not begun
     * (a caller outside a stop).
     */
    public Duration left() {
        return deadline.left();
    }
}
