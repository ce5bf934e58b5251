package dev.provisioning.writer.throughput;

import java.util.UUID;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.telemetry.ScheduledRounds;
import dev.provisioning.writer.config.WriterConfig;
import dev.provisioning.writer.config.WriterStop;

/**
 * Counts the live writer replicas through a heartbeat table ({@code writer_replica}): every replica upserts its row
 * every {@code writer.replicas.heartbeat-interval} and counts the rows younger than {@code writer.replicas.liveness};
 * {@link TenantGates} divides each tenant's budget by that count. A replica that stops cleanly deletes its row; a
 * crashed one stops counting after the liveness window (until then the others run a little under the budget, never
 * over it). At a stop no heartbeat starts, the one under way is waited for, then the row is deleted.
 */
@ApplicationScoped
public class ReplicaHeartbeat {

    private static final Logger LOG = Logger.getLogger(ReplicaHeartbeat.class);

    private final Pool pool;
    private final TenantGates gates;
    private final WriterConfig config;
    private final String replicaId = UUID.randomUUID().toString();
    private final ScheduledRounds rounds = new ScheduledRounds();

    private final WriterStop stop;

    public ReplicaHeartbeat(Pool pool, TenantGates gates, WriterConfig config, WriterStop stop) {
        this.stop = stop;
        this.pool = pool;
        this.gates = gates;
        this.config = config;
    }

    @Scheduled(every = "${writer.replicas.heartbeat-interval:5s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> beat() {
        return rounds.run(this::beatNow)
                .onFailure().invoke(e -> LOG.logf(rounds.failureLevel(Logger.Level.WARN),
                        "replica heartbeat failed (the share stays at 1/%d): %s", gates.liveReplicas(),
                        e.getMessage()))
                .onFailure().recoverWithNull();
    }

    private Uni<Void> beatNow() {
        long livenessMillis = config.replicas().liveness().toMillis();
        return pool.preparedQuery("INSERT INTO writer_replica (replica_id, heartbeat_at) VALUES ($1, now()) "
                + "ON CONFLICT (replica_id) DO UPDATE SET heartbeat_at = now()")
                .execute(Tuple.of(replicaId))
                .chain(() -> pool.preparedQuery("DELETE FROM writer_replica WHERE heartbeat_at < now() - "
                        + "make_interval(secs => $1)").execute(Tuple.of(10.0 * livenessMillis / 1000)))
                .chain(() -> pool.preparedQuery("SELECT count(*) AS live FROM writer_replica WHERE heartbeat_at >= "
                        + "now() - make_interval(secs => $1)").execute(Tuple.of(livenessMillis / 1000.0)))
                .invoke(rows -> {
                    Row row = rows.iterator().next();
                    gates.liveReplicas(row.getInteger("live"));
                })
                .replaceWithVoid();
    }

    /**
     * The writer stops, last ({@link WriterStop#HEARTBEAT}): the heartbeat under way ends first (it would write the row
     * again), then the row goes.
     */
    void leave(@Observes @Priority(WriterStop.HEARTBEAT) ShutdownEvent event) {
        rounds.stop(stop.left());
        try {
            pool.preparedQuery("DELETE FROM writer_replica WHERE replica_id = $1").execute(Tuple.of(replicaId))
                    .await().atMost(java.time.Duration.ofSeconds(2));
        } catch (RuntimeException e) {
            LOG.debugf("could not remove the heartbeat of replica %s: %s", replicaId, e.getMessage());
        }
    }
}
