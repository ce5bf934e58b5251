package dev.provisioning.writer.persistence;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.writer.escrow.EscrowState;
import dev.provisioning.writer.escrow.Escrowed;

/** The {@code escrow} table, through the reactive PostgreSQL pool. */
@ApplicationScoped
public class EscrowStore {

    private static final String COLUMNS = "id, job_id, object_id, operation_id, operation_json, retries, "
            + "first_failed_at, next_attempt_at, last_error_code, last_error, state, result_id, operation_created_at, "
            + "held_token, held_revision, tenant, operations_partition";
    /** What a restart with reset scope Escrows discards, and what the escrow count shows: rows with a result. */
    private static final String REPORTED = "state IN ('ESCROWED', 'HELD')";

    /**
     * {@link #defer} for many rows: one upsert over arrays, one row per id ({@link MicroBatcher#perKey}); on conflict
     * the row is replaced as {@link #save} replaces it.
     */
    private static final String DEFER_ALL = "INSERT INTO escrow (" + COLUMNS + ") SELECT * FROM unnest("
            + "$1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::text[], $6::int[], $7::timestamptz[], "
            + "$8::timestamptz[], $9::varchar[], $10::text[], $11::varchar[], $12::varchar[], $13::timestamptz[], "
            + "$14::varchar[], $15::bigint[], $16::varchar[], $17::int[]) ON CONFLICT (id) DO UPDATE SET "
            + "operation_id = EXCLUDED.operation_id, operation_json = EXCLUDED.operation_json, "
            + "retries = EXCLUDED.retries, first_failed_at = EXCLUDED.first_failed_at, "
            + "next_attempt_at = EXCLUDED.next_attempt_at, last_error_code = EXCLUDED.last_error_code, "
            + "last_error = EXCLUDED.last_error, state = EXCLUDED.state, result_id = EXCLUDED.result_id, "
            + "operation_created_at = EXCLUDED.operation_created_at, held_token = EXCLUDED.held_token, "
            + "held_revision = EXCLUDED.held_revision, tenant = EXCLUDED.tenant, "
            + "operations_partition = EXCLUDED.operations_partition";

    /** {@link #delete} for many rows (a row named twice is simply removed once). */
    private static final String DELETE_ALL = "DELETE FROM escrow e USING unnest($1::varchar[], $2::varchar[]) AS "
            + "k (id, operation_id) WHERE e.id = k.id AND e.operation_id = k.operation_id";

    /** Rows of the partitions in the array parameter {@code $N}, or of no partition known (deferred before V5). */
    private static final String OF_PARTITIONS = "(operations_partition = ANY($N::int[]) OR operations_partition IS NULL)";

    /** The keys of one {@link #delete}. */
    private record Removal(String id, String operationId) {
    }

    private final Pool pool;
    private final MicroBatcher<Escrowed, Void> deferrals;
    private final MicroBatcher<Removal, Void> removals;

    @Inject
    public EscrowStore(Pool pool, Vertx vertx) {
        this(pool, vertx, WriterStore.Batching.DEFAULT);
    }

    /** A store whose {@link #defer}s are gathered as {@code batching} says. */
    public EscrowStore(Pool pool, Vertx vertx, WriterStore.Batching batching) {
        this.pool = pool;
        // two rows of one object in a window: the later replaces the earlier, as two saves in turn do
        this.deferrals = MicroBatcher.perKey(vertx, batching.maxSize(), batching.window(), Escrowed::id,
                (earlier, later) -> later, this::saveAll);
        this.removals = new MicroBatcher<>(vertx, batching.maxSize(), batching.window(), this::deleteAll);
    }

    /** A job's hold: the fingerprint of the rejected token and the revision that carried it. */
    public record Hold(String token, long revision) {
    }

    public Uni<Optional<Escrowed>> find(String id) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM escrow WHERE id = $1").execute(Tuple.of(id))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(read(rows.iterator().next())));
    }

    /** Creates or replaces the object's row. */
    public Uni<Void> save(Escrowed e) {
        Tuple values = Tuple.tuple().addValue(e.id()).addValue(e.jobId()).addValue(e.objectId())
                .addValue(e.operationId()).addValue(e.operationJson()).addValue(e.retries())
                .addValue(time(e.firstFailedAt())).addValue(time(e.nextAttemptAt()))
                .addValue(e.lastErrorCode() == null ? "" : e.lastErrorCode())
                .addValue(e.lastError() == null ? "" : e.lastError()).addValue(e.state().name())
                .addValue(e.resultId()).addValue(time(e.operationCreatedAt())).addValue(e.heldToken())
                .addValue(e.heldRevision()).addValue(e.tenant()).addValue(e.partition());
        return pool.preparedQuery("INSERT INTO escrow (" + COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                + "$10, $11, $12, $13, $14, $15, $16, $17) ON CONFLICT (id) DO UPDATE SET operation_id = $4, "
                + "operation_json = $5, retries = $6, first_failed_at = $7, next_attempt_at = $8, last_error_code = $9, "
                + "last_error = $10, state = $11, result_id = $12, operation_created_at = $13, held_token = $14, "
                + "held_revision = $15, tenant = $16, operations_partition = $17")
                .execute(values).replaceWithVoid();
    }

    /**
     * Creates or replaces the object's row, as {@link #save} does, in one statement with the other rows written within
     * the same window ({@link MicroBatcher}, {@link WriterStore.Batching#DEFAULT}: 1 ms or 64 rows; issue 13: a single
     * tenant's flood defers thousands of operations a second). Completes when that statement has committed; fails when it failed (every row
     * of its window then fails, and each caller retries its own).
     */
    public Uni<Void> defer(Escrowed e) {
        return deferrals.submit(e);
    }

    private Uni<?> saveAll(List<Escrowed> rows) {
        int n = rows.size();
        String[] ids = new String[n];
        String[] jobIds = new String[n];
        String[] objectIds = new String[n];
        String[] operationIds = new String[n];
        String[] json = new String[n];
        Integer[] retries = new Integer[n];
        OffsetDateTime[] firstFailed = new OffsetDateTime[n];
        OffsetDateTime[] nextAttempt = new OffsetDateTime[n];
        String[] errorCodes = new String[n];
        String[] errors = new String[n];
        String[] states = new String[n];
        String[] resultIds = new String[n];
        OffsetDateTime[] created = new OffsetDateTime[n];
        String[] heldTokens = new String[n];
        Long[] heldRevisions = new Long[n];
        String[] tenants = new String[n];
        Integer[] partitions = new Integer[n];
        for (int i = 0; i < n; i++) {
            Escrowed e = rows.get(i);
            ids[i] = e.id();
            jobIds[i] = e.jobId();
            objectIds[i] = e.objectId();
            operationIds[i] = e.operationId();
            json[i] = e.operationJson();
            retries[i] = e.retries();
            firstFailed[i] = time(e.firstFailedAt());
            nextAttempt[i] = time(e.nextAttemptAt());
            errorCodes[i] = e.lastErrorCode() == null ? "" : e.lastErrorCode();
            errors[i] = e.lastError() == null ? "" : e.lastError();
            states[i] = e.state().name();
            resultIds[i] = e.resultId();
            created[i] = time(e.operationCreatedAt());
            heldTokens[i] = e.heldToken();
            heldRevisions[i] = e.heldRevision();
            tenants[i] = e.tenant();
            partitions[i] = e.partition();
        }
        return pool.preparedQuery(DEFER_ALL).execute(Tuple.tuple().addArrayOfString(ids).addArrayOfString(jobIds)
                .addArrayOfString(objectIds).addArrayOfString(operationIds).addArrayOfString(json)
                .addArrayOfInteger(retries).addArrayOfOffsetDateTime(firstFailed)
                .addArrayOfOffsetDateTime(nextAttempt).addArrayOfString(errorCodes).addArrayOfString(errors)
                .addArrayOfString(states).addArrayOfString(resultIds).addArrayOfOffsetDateTime(created)
                .addArrayOfString(heldTokens).addArrayOfLong(heldRevisions).addArrayOfString(tenants)
                .addArrayOfInteger(partitions));
    }

    /**
     * Removes the row of the object if it still holds that operation, in one statement with the other removals asked
     * for within the same window (as {@link #defer}: a released deferred operation removes its row once carried out).
     * Completes when that statement has committed.
     */
    public Uni<Void> delete(String id, String operationId) {
        return removals.submit(new Removal(id, operationId));
    }

    private Uni<List<Void>> deleteAll(List<Removal> rows) {
        String[] ids = new String[rows.size()];
        String[] operationIds = new String[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            ids[i] = rows.get(i).id();
            operationIds[i] = rows.get(i).operationId();
        }
        return pool.preparedQuery(DELETE_ALL)
                .execute(Tuple.tuple().addArrayOfString(ids).addArrayOfString(operationIds))
                .map(ignored -> Collections.<Void>nCopies(rows.size(), null));
    }

    /**
     * Claims up to {@code limit} due escrowed or released held operations (another replica skips them) and moves their
     * next attempt {@code lease} ahead, so they are republished once more only if their retry is not processed by then.
     */
    public Uni<List<Escrowed>> claimDue(Duration lease, int limit) {
        return pool.preparedQuery("UPDATE escrow SET next_attempt_at = now() + make_interval(secs => $1) WHERE id IN "
                + "(SELECT id FROM escrow WHERE " + REPORTED + " AND next_attempt_at <= now() ORDER BY next_attempt_at "
                + "LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING " + COLUMNS)
                .execute(Tuple.of(lease.toMillis() / 1000.0, limit))
                .map(EscrowStore::readAll);
    }

    /**
     * The tenants with deferred operations that are due, of these partitions of {@code provisioning.operations} or of
     * none known ({@link Escrowed#partition} null): those a replica holding these partitions may release.
     */
    public Uni<List<String>> tenantsWithDeferred(Collection<Integer> partitions) {
        return pool.preparedQuery("SELECT DISTINCT tenant FROM escrow WHERE state = 'DEFERRED' AND next_attempt_at "
                + "<= now() AND " + OF_PARTITIONS.replace("$N", "$1"))
                .execute(Tuple.tuple().addArrayOfInteger(partitions.toArray(Integer[]::new)))
                .map(rows -> {
                    List<String> tenants = new ArrayList<>();
                    rows.forEach(row -> tenants.add(row.getString(0)));
                    return tenants;
                });
    }

    /**
     * Claims up to {@code limit} due deferred operations of a tenant, like {@link #claimDue}: the longest due first (a
     * row is due from when it was deferred, or deferred again). Read in the order of the index
     * {@code escrow_state_tenant (state, tenant, next_attempt_at)}, so a claim reads {@code limit} rows however many
     * wait: ordered by {@code first_failed_at}, each claim sorted every due row of the tenant (100,000 in a large
     * initial sync), and releases now come as the lane drains, many per second.
     *
     * @param partitions only rows of these partitions of {@code provisioning.operations} (those this replica holds),
     *        or of none known ({@link Escrowed#partition} null)
     */
    public Uni<List<Escrowed>> claimDeferred(String tenant, Duration lease, int limit,
            Collection<Integer> partitions) {
        return pool.preparedQuery("UPDATE escrow SET next_attempt_at = now() + make_interval(secs => $1) WHERE id IN "
                + "(SELECT id FROM escrow WHERE state = 'DEFERRED' AND tenant = $2 AND next_attempt_at <= now() AND "
                + OF_PARTITIONS.replace("$N", "$4") + " ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) "
                + "RETURNING " + COLUMNS)
                .execute(Tuple.of(lease.toMillis() / 1000.0, tenant, limit)
                        .addArrayOfInteger(partitions.toArray(Integer[]::new)))
                .map(EscrowStore::readAll);
    }

    /**
     * Releases a job's held operations (due at once) when its token changed or it was started again at a later
     * revision than the one whose token was rejected.
     *
     * @param token the fingerprint of the job's current token
     * @param active whether the job is ACTIVE now
     * @param revision the job's current revision
     * @return how many were released
     */
    public Uni<Integer> releaseHeld(String jobId, String token, boolean active, long revision) {
        return pool.preparedQuery("UPDATE escrow SET next_attempt_at = now() WHERE job_id = $1 AND state = 'HELD' "
                + "AND next_attempt_at > now() AND (held_token IS DISTINCT FROM $2 OR ($3 AND held_revision < $4))")
                .execute(Tuple.of(jobId, token, active, revision)).map(rows -> rows.rowCount());
    }

    /**
     * The tenant answers again after an outage: its operations escrowed for transient failures are due at once, instead
     * of hours later on Entra's schedule (a burst never delays a change by hours).
     *
     * @return how many
     */
    public Uni<Integer> retryTenantNow(String tenant) {
        return pool.preparedQuery("UPDATE escrow SET next_attempt_at = now() WHERE state = 'ESCROWED' AND tenant = $1 "
                + "AND last_error_code IN ('TargetUnavailable', 'TooManyRequests') AND next_attempt_at > now()")
                .execute(Tuple.of(tenant)).map(rows -> rows.rowCount());
    }

    /** The job's hold, if operations of it are held (and not released): the latest rejected token and revision. */
    public Uni<Optional<Hold>> hold(String jobId) {
        return pool.preparedQuery("SELECT held_token, held_revision FROM escrow WHERE job_id = $1 AND state = 'HELD' "
                + "AND next_attempt_at > now() ORDER BY held_revision DESC LIMIT 1").execute(Tuple.of(jobId))
                .map(rows -> rows.size() == 0
                        ? Optional.empty()
                        : Optional.of(new Hold(rows.iterator().next().getString(0),
                                rows.iterator().next().getLong(1))));
    }

    /** Discards a job's escrowed and held operations (a restart with reset scope Escrows); returns how many. */
    public Uni<Integer> deleteJob(String jobId) {
        return pool.preparedQuery("DELETE FROM escrow WHERE job_id = $1 AND " + REPORTED).execute(Tuple.of(jobId))
                .map(rows -> rows.rowCount());
    }

    /** Discards every row of a deleted job, deferred operations included. */
    public Uni<Integer> deleteAllOfJob(String jobId) {
        return pool.preparedQuery("DELETE FROM escrow WHERE job_id = $1").execute(Tuple.of(jobId))
                .map(rows -> rows.rowCount());
    }

    /** How many objects of a job are escrowed or held (those with a Failure or held result). */
    public Uni<Long> countForJob(String jobId) {
        return pool.preparedQuery("SELECT count(*) FROM escrow WHERE job_id = $1 AND " + REPORTED)
                .execute(Tuple.of(jobId)).map(rows -> rows.iterator().next().getLong(0));
    }

    /** Waiting objects per job and state. */
    public Uni<Map<String, Map<EscrowState, Long>>> countsByJob() {
        return pool.query("SELECT job_id, state, count(*) AS n FROM escrow GROUP BY job_id, state").execute()
                .map(rows -> {
                    Map<String, Map<EscrowState, Long>> counts = new LinkedHashMap<>();
                    rows.forEach(row -> counts.computeIfAbsent(row.getString("job_id"),
                            j -> new EnumMap<>(EscrowState.class))
                            .put(EscrowState.valueOf(row.getString("state")), row.getLong("n")));
                    return counts;
                });
    }

    private static List<Escrowed> readAll(RowSet<Row> rows) {
        List<Escrowed> out = new ArrayList<>();
        rows.forEach(row -> out.add(read(row)));
        return out;
    }

    /** The columns {@link #read} reads, qualified by a table alias (for a join that reads them by these names). */
    static String columnsOf(String alias) {
        return Stream.of(COLUMNS.split(", ")).map(c -> alias + "." + c).collect(Collectors.joining(", "));
    }

    /** The row, read by column name. */
    static Escrowed read(Row row) {
        return new Escrowed(row.getString("id"), row.getString("job_id"), row.getString("object_id"),
                row.getString("operation_id"), row.getString("operation_json"), row.getInteger("retries"),
                instant(row.getOffsetDateTime("first_failed_at")), instant(row.getOffsetDateTime("next_attempt_at")),
                row.getString("last_error_code"), row.getString("last_error"),
                EscrowState.valueOf(row.getString("state")), row.getString("result_id"),
                instant(row.getOffsetDateTime("operation_created_at")), row.getString("held_token"),
                row.getLong("held_revision"), row.getString("tenant"), row.getInteger("operations_partition"));
    }

    private static Instant instant(OffsetDateTime time) {
        return time == null ? null : time.toInstant();
    }

    private static OffsetDateTime time(Instant instant) {
        return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
    }
}
