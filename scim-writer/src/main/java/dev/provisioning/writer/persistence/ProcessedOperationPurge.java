package dev.provisioning.writer.persistence;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.telemetry.Plural;
import dev.provisioning.telemetry.ScheduledRounds;
import dev.provisioning.writer.config.WriterConfig;
import dev.provisioning.writer.config.WriterMeters;
import dev.provisioning.writer.config.WriterStop;

/**
 * Keeps {@code processed_operation} bounded: every {@code writer.processed-operation.purge-interval} (1 h) deletes the
 * rows older than {@code writer.processed-operation.retention} (30 days), at most
 * {@code writer.processed-operation.purge-batch-size} rows per statement, each statement its own short transaction,
 * repeated until one deletes fewer. Every replica purges; a statement skips the rows another replica is deleting
 * ({@code FOR UPDATE SKIP LOCKED}), so concurrent purges neither wait for nor repeat each other. Counted by
 * {@code scim.writer.processed.purged} (registered at start, so it reads 0 until the first purge); a failed purge is
 * logged and the next one retries. At a stop ({@link WriterStop#SCHEDULED}) no purge starts, and one under way is
 * waited for until the stop's deadline (each statement is its own transaction, so one cut short loses nothing).
 */
@Startup
@ApplicationScoped
public class ProcessedOperationPurge {

    /** The scheduled job's identity (a test pauses it to purge by itself). */
    public static final String JOB = "processed-operation-purge";

    private static final Logger LOG = Logger.getLogger(ProcessedOperationPurge.class);

    private static final String DELETE_BATCH = "DELETE FROM processed_operation WHERE result_id IN (SELECT result_id "
            + "FROM processed_operation WHERE processed_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)";
    /**
     * The tombstones of deleted objects in the id map (kept so that a delete redelivered after a crash is reported as
     * the Delete it was) go with the same retention.
     */
    private static final String DELETE_TOMBSTONES = "DELETE FROM id_map WHERE id IN (SELECT id FROM id_map WHERE "
            + "deleted AND updated_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)";

    private final Pool pool;
    private final WriterConfig config;
    private final Counter purged;
    private final ScheduledRounds rounds = new ScheduledRounds();
    private final WriterStop stop;

    public ProcessedOperationPurge(Pool pool, WriterConfig config, MeterRegistry registry, WriterStop stop) {
        this.stop = stop;
        this.pool = pool;
        this.config = config;
        this.purged = Counter.builder(WriterMeters.PROCESSED_PURGED)
                .description("Processed operations deleted after their retention (idempotency records)")
                .register(registry);
    }

    @Scheduled(identity = JOB, every = "${writer.processed-operation.purge-interval:1h}", delay = 1, delayUnit = TimeUnit.MINUTES, concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> tick() {
        return rounds.run(() -> purge().replaceWithVoid())
                .onFailure().invoke(e -> LOG.logf(rounds.failureLevel(Logger.Level.WARN),
                        "purge of processed operations failed, the next one retries: %s", e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    /** The writer stops: no new purge, and one under way is waited for, until the stop's deadline. */
    void stop(@Observes @Priority(WriterStop.SCHEDULED) ShutdownEvent event) {
        rounds.stop(stop.left());
    }

    /** Deletes the processed operations older than the retention; returns how many this replica deleted. */
    public Uni<Long> purge() {
        Duration retention = config.processedOperation().retention();
        if (retention.isNegative() || retention.isZero()) {
            // a cutoff in the future would delete every row, the idempotency of redeliveries with it
            return Uni.createFrom().failure(new IllegalStateException(
                    "writer.processed-operation.retention must be positive, not " + retention));
        }
        Instant cutoff = Instant.now().minus(retention);
        int batchSize = Math.max(1, config.processedOperation().purgeBatchSize());
        return deleteOlderThan(cutoff.atOffset(ZoneOffset.UTC), batchSize, 0)
                .call(count -> tombstonesOlderThan(cutoff.atOffset(ZoneOffset.UTC), batchSize)).invoke(count -> {
                    if (count > 0) {
                        LOG.infof("purged %s older than %s (retention %s)", Plural.of(count, "processed operation"),
                                cutoff,
                                readable(retention));
                    } else {
                        LOG.debugf("no processed operation older than %s to purge", cutoff);
                    }
                });
    }

    private static String readable(Duration retention) {
        return retention.toSeconds() % 86400 == 0 ? retention.toDays() + "d" : retention.toString();
    }

    private Uni<Void> tombstonesOlderThan(OffsetDateTime cutoff, int batchSize) {
        return pool.preparedQuery(DELETE_TOMBSTONES).execute(Tuple.of(cutoff, batchSize)).map(rows -> rows.rowCount())
                .chain(deleted -> deleted < batchSize
                        ? Uni.createFrom().voidItem()
                        : tombstonesOlderThan(cutoff, batchSize));
    }

    private Uni<Long> deleteOlderThan(OffsetDateTime cutoff, int batchSize, long deletedSoFar) {
        return pool.preparedQuery(DELETE_BATCH).execute(Tuple.of(cutoff, batchSize))
                .map(rows -> rows.rowCount())
                .invoke(deleted -> purged.increment(deleted))
                .chain(deleted -> deleted < batchSize
                        ? Uni.createFrom().item(deletedSoFar + deleted)
                        : deleteOlderThan(cutoff, batchSize, deletedSoFar + deleted));
    }
}
