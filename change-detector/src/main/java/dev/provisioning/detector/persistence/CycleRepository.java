package dev.provisioning.detector.persistence;

import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/** The {@code cycle} table: one row per cycle of a job. */
@ApplicationScoped
public class CycleRepository {

    private final Pool pool;

    public CycleRepository(Pool pool) {
        this.pool = pool;
    }

    public Uni<Void> start(String cycleId, String jobId, boolean full) {
        return pool.preparedQuery(
                "INSERT INTO cycle (id, job_id, full_cycle, status, started_at) VALUES ($1,$2,$3,'RUNNING',now())")
                .execute(Tuple.of(cycleId, jobId, full)).replaceWithVoid();
    }

    public Uni<Void> emitted(String cycleId, int events) {
        return pool.preparedQuery("UPDATE cycle SET status='EMITTED', emitted_at=now(), events_emitted=$2 WHERE id=$1")
                .execute(Tuple.of(cycleId, events)).replaceWithVoid();
    }

    public Uni<Void> failed(String cycleId, String error) {
        return pool.preparedQuery("UPDATE cycle SET status='FAILED', error=$2 WHERE id=$1")
                .execute(Tuple.of(cycleId, error)).replaceWithVoid();
    }

    /** The job's latest cycles, newest first. */
    public Uni<List<CycleRow>> latest(String jobId, int limit) {
        return pool.preparedQuery("SELECT * FROM cycle WHERE job_id=$1 ORDER BY started_at DESC LIMIT $2")
                .execute(Tuple.of(jobId, limit)).map(rs -> {
                    List<CycleRow> cycles = new ArrayList<>();
                    rs.forEach(r -> cycles.add(CycleRow.of(r)));
                    return cycles;
                });
    }
}
