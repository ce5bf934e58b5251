package dev.provisioning.writer.escrow;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/** The {@code escrow} table, through the reactive PostgreSQL pool (set operations JPQL cannot express). */
@ApplicationScoped
public class EscrowStore {

    private static final String COLUMNS = "id, job_id, object_id, operation_id, operation_json, retries, "
            + "first_failed_at, next_attempt_at, last_error_code, last_error";

    private final Pool pool;

    public EscrowStore(Pool pool) {
        this.pool = pool;
    }

    public Uni<Optional<Escrowed>> find(String id) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM escrow WHERE id = $1").execute(Tuple.of(id))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(read(rows.iterator().next())));
    }

    /** Creates or replaces the object's escrow. */
    public Uni<Void> save(Escrowed e) {
        return pool.preparedQuery("INSERT INTO escrow (" + COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                + "$10) ON CONFLICT (id) DO UPDATE SET operation_id = $4, operation_json = $5, retries = $6, "
                + "first_failed_at = $7, next_attempt_at = $8, last_error_code = $9, last_error = $10")
                .execute(Tuple.tuple(List.of(e.id(), e.jobId(), e.objectId(), e.operationId(), e.operationJson(),
                        e.retries(), time(e.firstFailedAt()), time(e.nextAttemptAt()),
                        e.lastErrorCode() == null ? "" : e.lastErrorCode(),
                        e.lastError() == null ? "" : e.lastError())))
                .replaceWithVoid();
    }

    /** Removes the escrow of the object if it still holds that operation. */
    public Uni<Void> delete(String id, String operationId) {
        return pool.preparedQuery("DELETE FROM escrow WHERE id = $1 AND operation_id = $2")
                .execute(Tuple.of(id, operationId)).replaceWithVoid();
    }

    /**
     * Claims up to {@code limit} due escrows (another replica skips them) and moves their next attempt
     * {@code lease} ahead, so they are republished once more only if their retry is not processed by then.
     */
    public Uni<List<Escrowed>> claimDue(Duration lease, int limit) {
        return pool.preparedQuery("UPDATE escrow SET next_attempt_at = now() + make_interval(secs => $1) WHERE id IN "
                + "(SELECT id FROM escrow WHERE next_attempt_at <= now() ORDER BY next_attempt_at LIMIT $2 "
                + "FOR UPDATE SKIP LOCKED) RETURNING " + COLUMNS)
                .execute(Tuple.of(lease.toMillis() / 1000.0, limit))
                .map(EscrowStore::readAll);
    }

    /** Discards every escrow of a job (a restart with reset scope Escrows); returns how many there were. */
    public Uni<Integer> deleteJob(String jobId) {
        return pool.preparedQuery("DELETE FROM escrow WHERE job_id = $1").execute(Tuple.of(jobId))
                .map(rows -> rows.rowCount());
    }

    /** How many objects of a job are escrowed. */
    public Uni<Long> countForJob(String jobId) {
        return pool.preparedQuery("SELECT count(*) FROM escrow WHERE job_id = $1").execute(Tuple.of(jobId))
                .map(rows -> rows.iterator().next().getLong(0));
    }

    /** Escrowed objects per job. */
    public Uni<Map<String, Long>> countsByJob() {
        return pool.query("SELECT job_id, count(*) AS n FROM escrow GROUP BY job_id").execute().map(rows -> {
            Map<String, Long> counts = new LinkedHashMap<>();
            rows.forEach(row -> counts.put(row.getString("job_id"), row.getLong("n")));
            return counts;
        });
    }

    private static List<Escrowed> readAll(RowSet<Row> rows) {
        List<Escrowed> out = new ArrayList<>();
        rows.forEach(row -> out.add(read(row)));
        return out;
    }

    private static Escrowed read(Row row) {
        return new Escrowed(row.getString("id"), row.getString("job_id"), row.getString("object_id"),
                row.getString("operation_id"), row.getString("operation_json"), row.getInteger("retries"),
                row.getOffsetDateTime("first_failed_at").toInstant(),
                row.getOffsetDateTime("next_attempt_at").toInstant(), row.getString("last_error_code"),
                row.getString("last_error"));
    }

    private static OffsetDateTime time(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }
}
