package dev.provisioning.detector.persistence;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.annotation.JsonRawValue;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.detector.job.Cycle;
import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.StorableText;

/**
 * The provisioning log: one record per object per cycle, keyed by the result id, so a redelivered result is recorded
 * once.
 */
@ApplicationScoped
public class ProvisioningLogRepository {

    private final Pool pool;

    public ProvisioningLogRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * What recording a result did.
     *
     * @param recorded false when it was already recorded (a redelivery)
     * @param managedUsersChanged it added a user to what Druva holds for the job, or removed one
     */
    public record Recorded(boolean recorded, boolean managedUsersChanged) {
    }

    /**
     * What recording a batch did.
     *
     * @param recorded what recording each result did, in the order given
     * @param counted each cycle the batch counted new results in, as its row is right after the batch's increments
     *        ({@link CycleRepository#countAll}), by cycle id; a cycle with no new result (only redeliveries, only later
     *        outcomes) or that does not exist is absent
     */
    public record RecordedAll(List<Recorded> recorded, Map<String, Cycle> counted) {
    }

    /**
     * Records a batch of results, in the order given, in one transaction, with the same effects as recording them one
     * by one: {@link Recorded#recorded()} is false for a result already recorded (a redelivery, or the same result
     * twice in the batch). A new result is counted in its cycle (for completeness and the quarantine thresholds) and
     * keeps the set of objects the job manages in Druva: a successful create or update adds the object, a successful
     * delete removes it (a user added or removed marks the cycle, whose groups then get a follow-up). A later outcome
     * of an escrowed or held operation ({@code retryOf} set) replaces the first one as the object's outcome: it is
     * logged and changes the managed objects, but is not counted in its cycle again (the cycle was complete with the
     * first).
     *
     * <p>
     * Round trips: the batch is cut into runs in which no object of a job appears twice ({@link #segments}; one run
     * unless an object has several results in the batch); per run, one statement of the log inserts and one each
     * of the managed-object upserts and deletes, each of all the run's rows ({@link Unnest}); then one pipelined
     * {@code executeBatch} of the cycle increments, summed per cycle. Results of one object are recorded in separate runs, in order, so a Create then a Delete of an object
     * leave it unmanaged and a later result's log entry reads the name an earlier one recorded, as one by one.
     *
     * @return fails with the database's error; nothing of the batch is then stored
     */
    public Uni<RecordedAll> recordAll(List<ProvisioningResult> results) {
        if (results.isEmpty()) {
            return Uni.createFrom().item(new RecordedAll(List.of(), Map.of()));
        }
        List<List<Integer>> segments = segments(results);
        return pool.withTransaction(c -> {
            Recorded[] recorded = new Recorded[results.size()];
            Map<String, Long> versions = new HashMap<>();
            Uni<Void> done = moveVersions(c, results, versions);
            for (List<Integer> segment : segments) {
                done = done.chain(() -> recordSegment(c, results, segment, recorded, versions));
            }
            return done.chain(() -> CycleRepository.countAll(c, increments(results, recorded)))
                    .map(counted -> new RecordedAll(List.of(recorded), counted));
        });
    }

    /** {@link #recordAll} of one result (provision on demand). */
    public Uni<Recorded> record(ProvisioningResult r) {
        return recordAll(List.of(r)).map(all -> all.recorded().get(0));
    }

    /**
     * The batch cut into consecutive runs of indexes in which no (job, object) appears twice: a new run starts at a
     * result whose object already has one in the current run. Within a run the order between objects does not matter
     * (each statement reads and writes only its own object's rows).
     */
    static List<List<Integer>> segments(List<ProvisioningResult> results) {
        List<List<Integer>> segments = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        Set<String> objects = new HashSet<>();
        for (int i = 0; i < results.size(); i++) {
            ProvisioningResult r = results.get(i);
            if (!objects.add(key(r.jobId(), r.objectId()))) {
                segments.add(current);
                current = new ArrayList<>();
                objects.clear();
                objects.add(key(r.jobId(), r.objectId()));
            }
            current.add(i);
        }
        segments.add(current);
        return segments;
    }

    /**
     * Moves the version of each job whose managed objects the batch may change (it has successful creates, updates or
     * deletes), first in the batch's transaction and in job order: the job's {@code managed_version} row stays locked
     * until the commit, so the versions of one job commit in order ({@link ManagedObjectRepository}): a job's new version
     * is drawn once its row is locked ({@code DO UPDATE}), never before, so it exceeds every version committed before.
     * A job that is gone gets none (its managed rows are gone too).
     */
    private static Uni<Void> moveVersions(SqlConnection c, List<ProvisioningResult> results,
            Map<String, Long> versions) {
        List<String> jobs = results.stream().filter(r -> r.status() == ProvisioningStatus.Success
                && (r.action() == ProvisioningAction.Create || r.action() == ProvisioningAction.Update
                        || r.action() == ProvisioningAction.Delete))
                .map(ProvisioningResult::jobId).distinct().sorted().toList();
        if (jobs.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return c.preparedQuery("INSERT INTO managed_version (job_id, version, origin) SELECT id, v, v FROM "
                + "(SELECT id, nextval('managed_version_seq') AS v FROM job WHERE id=$1) j ON CONFLICT (job_id) "
                + "DO UPDATE SET version = nextval('managed_version_seq') RETURNING job_id, version")
                .executeBatch(jobs.stream().map(Tuple::of).toList())
                .invoke(rs -> {
                    for (RowSet<Row> one = rs; one != null; one = one.next()) {
                        one.forEach(row -> versions.put(row.getString(0), row.getLong(1)));
                    }
                }).replaceWithVoid();
    }

    /** One run: the log inserts, then the managed-object changes of the newly recorded successes. */
    private static Uni<Void> recordSegment(SqlConnection c, List<ProvisioningResult> results, List<Integer> segment,
            Recorded[] recorded, Map<String, Long> versions) {
        return insertAll(c, segment.stream().map(results::get).toList())
                .chain(inserted -> {
                    List<Integer> upserts = new ArrayList<>();
                    List<Integer> deletes = new ArrayList<>();
                    for (int i : segment) {
                        ProvisioningResult r = results.get(i);
                        boolean isNew = inserted.contains(r.resultId());
                        recorded[i] = new Recorded(isNew, false);
                        if (isNew && r.status() == ProvisioningStatus.Success) {
                            if (r.action() == ProvisioningAction.Create || r.action() == ProvisioningAction.Update) {
                                upserts.add(i);
                            } else if (r.action() == ProvisioningAction.Delete) {
                                deletes.add(i);
                            }
                        }
                    }
                    return upsertManaged(c, results, upserts, recorded, versions)
                            .chain(() -> deleteManaged(c, results, deletes, recorded, versions));
                });
    }

    /** {@link #UPSERT_MANAGED}'s columns: job id, object id, object type, display name, version. */
    private static final List<String> UPSERT_TYPES = List.of("varchar", "varchar", "varchar", "varchar", "bigint");
    /** {@link #DELETE_MANAGED}'s columns: job id, object id, version. */
    private static final List<String> DELETE_TYPES = List.of("varchar", "varchar", "bigint");
    /**
     * {@code managed_object} rows of many objects in one statement: the objects join what Druva holds (a row inserted,
     * unless their job is gone), or their name there changes (a row updated); either carries the job's version of the
     * transaction. Answers each row inserted or updated, with whether it was inserted. The objects of one statement
     * must be distinct ({@link #segments}: {@code ON CONFLICT DO UPDATE} changes a row once per statement).
     */
    private static final String UPSERT_MANAGED = "INSERT INTO managed_object (job_id, object_id, object_type, since, "
            + "display_name, version) SELECT k.job_id, k.object_id, k.object_type, now(), k.display_name, k.version "
            + "FROM " + Unnest.unnest(1, UPSERT_TYPES)
            + " WITH ORDINALITY AS k (job_id, object_id, object_type, display_name, version, n) "
            + "WHERE EXISTS (SELECT 1 FROM job j WHERE j.id = k.job_id) ORDER BY k.n "
            + "ON CONFLICT (job_id, object_id) DO UPDATE SET display_name = EXCLUDED.display_name, "
            + "version = EXCLUDED.version WHERE EXCLUDED.display_name IS NOT NULL "
            + "AND managed_object.display_name IS DISTINCT FROM EXCLUDED.display_name "
            + "RETURNING job_id, object_id, (xmax = 0) AS inserted";
    /**
     * Many objects leave what Druva holds in one statement: each deleted {@code managed_object} row leaves a removal
     * with its job's version of the transaction. Answers each object whose row was deleted.
     */
    private static final String DELETE_MANAGED = "WITH d AS (DELETE FROM managed_object m USING "
            + Unnest.unnest(1, DELETE_TYPES) + " AS k (job_id, object_id, version) "
            + "WHERE m.job_id = k.job_id AND m.object_id = k.object_id RETURNING m.job_id, m.object_id, k.version) "
            + "INSERT INTO managed_object_removal (job_id, object_id, version) SELECT job_id, object_id, version FROM d "
            + "ON CONFLICT (job_id, object_id) DO UPDATE SET version = EXCLUDED.version, removed_at = now() "
            + "RETURNING job_id, object_id";

    /**
     * The objects join what Druva holds, or their name there changes ({@link #UPSERT_MANAGED}, one statement): a user
     * whose row was inserted changed which users Druva holds.
     */
    private static Uni<Void> upsertManaged(SqlConnection c, List<ProvisioningResult> results, List<Integer> upserts,
            Recorded[] recorded, Map<String, Long> versions) {
        if (upserts.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Tuple> rows = upserts.stream().map(i -> {
            ProvisioningResult r = results.get(i);
            return Tuple.of(r.jobId(), r.objectId(), type(r).name(), knownName(r),
                    versions.getOrDefault(r.jobId(), 0L));
        }).toList();
        return c.preparedQuery(UPSERT_MANAGED).execute(Unnest.arrays(Tuple.tuple(), UPSERT_TYPES, rows)).invoke(rs -> {
            Set<String> inserted = new HashSet<>();
            rs.forEach(row -> {
                if (Boolean.TRUE.equals(row.getBoolean(2))) {
                    inserted.add(key(row.getString(0), row.getString(1)));
                }
            });
            for (int i : upserts) {
                ProvisioningResult r = results.get(i);
                recorded[i] = new Recorded(true,
                        type(r) == ObjectType.USER && inserted.contains(key(r.jobId(), r.objectId())));
            }
        }).replaceWithVoid();
    }

    /**
     * The objects leave what Druva holds ({@link #DELETE_MANAGED}, one statement): a user whose row was deleted changed
     * which users Druva holds.
     */
    private static Uni<Void> deleteManaged(SqlConnection c, List<ProvisioningResult> results, List<Integer> deletes,
            Recorded[] recorded, Map<String, Long> versions) {
        if (deletes.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Tuple> rows = deletes.stream().map(i -> Tuple.of(results.get(i).jobId(), results.get(i).objectId(),
                versions.getOrDefault(results.get(i).jobId(), 0L))).toList();
        return c.preparedQuery(DELETE_MANAGED).execute(Unnest.arrays(Tuple.tuple(), DELETE_TYPES, rows)).invoke(rs -> {
            Set<String> deleted = new HashSet<>();
            rs.forEach(row -> deleted.add(key(row.getString(0), row.getString(1))));
            for (int i : deletes) {
                ProvisioningResult r = results.get(i);
                recorded[i] = new Recorded(true,
                        type(r) == ObjectType.USER && deleted.contains(key(r.jobId(), r.objectId())));
            }
        }).replaceWithVoid();
    }

    private static String key(String jobId, String objectId) {
        return jobId + "\n" + objectId;
    }

    /**
     * What each cycle's count grows by: its newly recorded results that are not later outcomes, in the order their
     * cycles first appear.
     */
    private static Collection<CycleRepository.Increment> increments(List<ProvisioningResult> results,
            Recorded[] recorded) {
        Map<String, CycleRepository.Increment> increments = new LinkedHashMap<>();
        for (int i = 0; i < results.size(); i++) {
            ProvisioningResult r = results.get(i);
            if (recorded[i].recorded() && r.retryOf() == null) {
                increments.merge(r.cycleId(), increment(r, recorded[i].managedUsersChanged()),
                        CycleRepository.Increment::plus);
            }
        }
        return increments.values();
    }

    /**
     * What one newly recorded result (not a later outcome) adds to its cycle's counts: one result, one operation unless
     * Skipped, one failure if it is a Failure.
     */
    public static CycleRepository.Increment increment(ProvisioningResult r, boolean managedUsersChanged) {
        return new CycleRepository.Increment(r.cycleId(), 1, r.status() != ProvisioningStatus.Skipped ? 1 : 0,
                r.status() == ProvisioningStatus.Failure ? 1 : 0, managedUsersChanged);
    }

    private static ObjectType type(ProvisioningResult r) {
        return r.objectType() == null ? ObjectType.USER : r.objectType();
    }

    /**
     * Records what a cycle's read found wrong with single objects (Warning entries for dangling references, Failure
     * entries for objects the source could not settle), in the log of that cycle. They are not results of events, so
     * they are not counted in the cycle; a repeated cycle records its own. A problem names what the directory supplied
     * (an id a group's member or an assignment names), so a NUL character in it is replaced ({@link StorableText}):
     * refused, the entries would fail the cycle's end at every cycle.
     */
    public Uni<Void> recordSourceProblems(String cycleId, List<ProvisioningResult> problems) {
        if (problems.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<ProvisioningResult> storable = new ArrayList<>(problems.size());
        for (ProvisioningResult r : problems) {
            if (!r.cycleId().equals(cycleId)) {
                throw new IllegalArgumentException("not a result of cycle " + cycleId + ": " + r.resultId());
            }
            storable.add(storable(r));
        }
        return insertInSegments(pool, storable).replaceWithVoid();
    }

    /** A source problem's entry with its texts as PostgreSQL can store them ({@link StorableText}). */
    private static ProvisioningResult storable(ProvisioningResult r) {
        if (!StorableText.hasNul(r.resultId()) && !StorableText.hasNul(r.eventId())
                && !StorableText.hasNul(r.objectId()) && !StorableText.hasNul(r.displayName())
                && !StorableText.hasNul(r.reason())) {
            return r;
        }
        return new ProvisioningResult(r.schemaVersion(), StorableText.of(r.resultId()), r.jobId(), r.cycleId(),
                StorableText.of(r.eventId()), r.objectType(), StorableText.of(r.objectId()), r.targetId(),
                StorableText.of(r.displayName()), r.action(), r.status(), r.errorCode(), StorableText.of(r.reason()),
                r.httpStatus(), r.attempts(), r.durationMillis(), r.modifiedProperties(), r.reportedBy(),
                r.occurredAt(), r.retryAt(), r.retryOf());
    }

    /**
     * Records Skipped results of one cycle that change nothing in Druva (the StagedDelete records of held deletions)
     * in the caller's transaction, and counts the new ones in the cycle. A result already recorded is left as it is.
     */
    public Uni<Void> recordSkipped(SqlConnection tx, String cycleId, List<ProvisioningResult> skipped) {
        if (skipped.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        for (ProvisioningResult r : skipped) {
            if (r.status() != ProvisioningStatus.Skipped || !r.cycleId().equals(cycleId)) {
                throw new IllegalArgumentException("not a Skipped result of cycle " + cycleId + ": " + r.resultId());
            }
        }
        return insertInSegments(tx, skipped)
                .chain(inserted -> CycleRepository.countResults(tx, cycleId, inserted, 0, 0, false));
    }

    /**
     * Inserts the results' log records ({@link #insertAll}), one statement per run of distinct objects
     * ({@link #segments}), the runs in order; answers how many were new.
     */
    private static Uni<Integer> insertInSegments(SqlClient c, List<ProvisioningResult> results) {
        int[] inserted = new int[1];
        Uni<Void> done = Uni.createFrom().voidItem();
        for (List<Integer> segment : segments(results)) {
            done = done.chain(() -> insertAll(c, segment.stream().map(results::get).toList())
                    .invoke(ids -> inserted[0] += ids.size()).replaceWithVoid());
        }
        return done.map(ignored -> inserted[0]);
    }

    /**
     * The log record's columns as {@link #tuple} gives them, in order, by PostgreSQL type: result id, job id, cycle id,
     * event id, object type, object id, target id, the result's own name (null when it has none), action, status,
     * error code, reason (text), HTTP status (int), attempts (int), duration in ms (bigint), modified properties (JSON
     * text), reported by, occurred at, retry at (timestamptz), retry of, and the name as the result said it.
     */
    private static final List<String> LOG_TYPES = List.of("varchar", "varchar", "varchar", "varchar", "varchar",
            "varchar", "varchar", "varchar", "varchar", "varchar", "varchar", "text", "int", "int", "bigint", "text",
            "varchar", "timestamptz", "timestamptz", "varchar", "varchar");
    /**
     * Records many results in one statement (issue 13): one row per element of the arrays ({@link #LOG_TYPES}),
     * inserted in their order; answers the result ids it inserted (those already recorded are left as they are). A
     * result without the object's name (none, or its object id: an object gone from the source whose name the event
     * did not carry, such as one removed while the snapshot was cleared) is logged with the last name the job knew:
     * the snapshot's, else the name Druva was last sent, else the newest name in the log; only when none is known,
     * with what the result said. Its subqueries do not see the rows of their own statement, so the results of one
     * statement must be of distinct objects ({@link #segments}). {@code received_at} is the statement's clock
     * ({@code clock_timestamp()}), not its transaction's start: results of one object recorded in one transaction
     * ({@link #recordAll}) keep their order for the queries that read an object's latest entry (the name above,
     * {@link #escrowed}).
     */
    private static final String INSERT_ALL = "INSERT INTO provisioning_log (result_id, job_id, cycle_id, event_id, "
            + "object_type, object_id, target_id, display_name, action, status, error_code, reason, http_status, "
            + "attempts, duration_ms, modified_properties, reported_by, occurred_at, received_at, retry_at, retry_of) "
            + "SELECT k.result_id, k.job_id, k.cycle_id, k.event_id, k.object_type, k.object_id, k.target_id, "
            + lastKnownName("k.job_id", "k.object_id", "k.known_name", "k.given_name")
            + ", k.action, k.status, k.error_code, k.reason, k.http_status, k.attempts, k.duration_ms, "
            + "k.modified_properties, k.reported_by, k.occurred_at, clock_timestamp(), k.retry_at, k.retry_of "
            + "FROM " + Unnest.unnest(1, LOG_TYPES) + " WITH ORDINALITY AS k (result_id, job_id, cycle_id, event_id, "
            + "object_type, object_id, target_id, known_name, action, status, error_code, reason, http_status, "
            + "attempts, duration_ms, modified_properties, reported_by, occurred_at, retry_at, retry_of, given_name, n) "
            + "ORDER BY k.n ON CONFLICT (result_id) DO NOTHING RETURNING result_id";

    /**
     * The name a log record gets: the result's own ({@code known}), else the snapshot's, else the name Druva was last
     * sent, else the newest name in the log, else what the result said ({@code given}); each argument an SQL
     * expression.
     */
    private static String lastKnownName(String job, String object, String known, String given) {
        return "COALESCE(" + known + ", (SELECT s.display_name FROM source_snapshot s WHERE s.job_id=" + job
                + " AND s.object_id=" + object + "), (SELECT m.display_name FROM managed_object m WHERE m.job_id="
                + job + " AND m.object_id=" + object + "), (SELECT p.display_name FROM provisioning_log p WHERE "
                + "p.job_id=" + job + " AND p.object_id=" + object + " AND p.display_name <> p.object_id "
                + "ORDER BY p.received_at DESC LIMIT 1), " + given + ")";
    }

    /**
     * Inserts the results' log records in one statement ({@link #INSERT_ALL}; of distinct objects) and answers the ids
     * of those it inserted: a result already recorded (a redelivery) is not among them.
     */
    private static Uni<Set<String>> insertAll(SqlClient c, List<ProvisioningResult> results) {
        return c.preparedQuery(INSERT_ALL)
                .execute(Unnest.arrays(Tuple.tuple(), LOG_TYPES,
                        results.stream().map(ProvisioningLogRepository::tuple).toList()))
                .map(rows -> {
                    Set<String> inserted = new HashSet<>();
                    rows.forEach(row -> inserted.add(row.getString(0)));
                    return inserted;
                });
    }

    /** The result's name of the object, or null when it has none (missing, or only the object id). */
    private static String knownName(ProvisioningResult r) {
        String name = r.displayName();
        return name == null || name.isBlank() || name.equals(r.objectId()) ? null : truncate(name, 512);
    }

    private static Tuple tuple(ProvisioningResult r) {
        return Tuple.tuple(List.of()).addValue(r.resultId()).addValue(r.jobId()).addValue(r.cycleId())
                .addValue(r.eventId()).addValue(r.objectType() == null ? null : r.objectType().name())
                .addValue(r.objectId()).addValue(r.targetId()).addValue(knownName(r))
                .addValue(r.action().name()).addValue(r.status().name()).addValue(r.errorCode()).addValue(r.reason())
                .addValue(r.httpStatus()).addValue(r.attempts()).addValue(r.durationMillis())
                .addValue(r.modifiedProperties().isEmpty() ? null : Json.write(r.modifiedProperties()))
                .addValue(r.reportedBy())
                .addValue(OffsetDateTime.ofInstant(r.occurredAt() == null ? java.time.Instant.now() : r.occurredAt(),
                        ZoneOffset.UTC))
                .addValue(r.retryAt() == null ? null : OffsetDateTime.ofInstant(r.retryAt(), ZoneOffset.UTC))
                .addValue(r.retryOf()).addValue(truncate(r.displayName(), 512));
    }

    /** An object the scim-writer holds in escrow: its latest outcome is a Failure that says when it is retried. */
    public record Escrowed(String objectId, String objectType, String displayName, String cycleId, String errorCode,
            String reason, OffsetDateTime failedAt, OffsetDateTime retryAt) {
    }

    /**
     * The job's escrowed objects, from the results: each object whose latest result is a Failure with a retry time
     * (a later outcome, or any later result of the object, ends it). At most {@code limit}, the soonest retry first.
     */
    public Uni<List<Escrowed>> escrowed(String jobId, int limit) {
        return pool.preparedQuery("SELECT object_id, object_type, display_name, cycle_id, error_code, reason, "
                + "occurred_at, retry_at FROM provisioning_log l WHERE job_id=$1 AND retry_at IS NOT NULL "
                + "AND status='Failure' AND NOT EXISTS (SELECT 1 FROM provisioning_log n WHERE n.job_id=l.job_id "
                + "AND n.object_id=l.object_id AND n.received_at > l.received_at) ORDER BY retry_at, object_id "
                + "LIMIT $2").execute(Tuple.of(jobId, limit)).map(rs -> {
                    List<Escrowed> escrowed = new ArrayList<>();
                    rs.forEach(r -> escrowed.add(new Escrowed(r.getString(0), r.getString(1), r.getString(2),
                            r.getString(3), r.getString(4), r.getString(5), r.getOffsetDateTime(6),
                            r.getOffsetDateTime(7))));
                    return escrowed;
                });
    }

    /** How many objects of the job are escrowed ({@link #escrowed}). */
    public Uni<Long> escrowedCount(String jobId) {
        return pool.preparedQuery("SELECT count(*) FROM provisioning_log l WHERE job_id=$1 AND retry_at IS NOT NULL "
                + "AND status='Failure' AND NOT EXISTS (SELECT 1 FROM provisioning_log n WHERE n.job_id=l.job_id "
                + "AND n.object_id=l.object_id AND n.received_at > l.received_at)").execute(Tuple.of(jobId))
                .map(rs -> rs.iterator().next().getLong(0));
    }

    /**
     * Deletes log records that occurred before {@code before}, and the removals of managed objects made before it
     * (each job's {@code horizon} moves past the versions forgotten, so a reader older than those reads in full:
     * {@link ManagedObjectRepository}); returns how many log records.
     */
    public Uni<Integer> purge(OffsetDateTime before) {
        return pool.preparedQuery("DELETE FROM provisioning_log WHERE occurred_at < $1").execute(Tuple.of(before))
                .map(rs -> rs.rowCount())
                .call(() -> pool.preparedQuery("WITH p AS (DELETE FROM managed_object_removal WHERE removed_at < $1 "
                        + "RETURNING job_id, version) UPDATE managed_version v SET horizon = GREATEST(v.horizon, "
                        + "m.version) FROM (SELECT job_id, max(version) AS version FROM p GROUP BY job_id) m "
                        + "WHERE v.job_id = m.job_id").execute(Tuple.of(before)));
    }

    /** Deletes every log record of a job (the job was deleted). */
    public Uni<Void> deleteJob(String jobId) {
        return pool.preparedQuery("DELETE FROM provisioning_log WHERE job_id=$1").execute(Tuple.of(jobId))
                .replaceWithVoid();
    }

    /**
     * Counts of a cycle's results by action and status, e.g. {@code Create/Success -> 12}: each object's outcome once
     * (a result that a later outcome replaced counts as that outcome).
     *
     * <p>
     * The cycle's records counted by action and status (hashed: a handful of groups), less those a later outcome
     * replaced, found from the later outcomes ({@code retry_of} set: the few escrowed or held objects, by their partial
     * index) and the primary key. The same counts as leaving out each record that a later outcome names, without the
     * anti-join over all the cycle's records that sorted them by result id (30,000 of them spilled to disk: about
     * 127 ms per cycle of the status call).
     */
    public Uni<Map<String, Long>> counts(String jobId, String cycleId) {
        return pool
                .preparedQuery("SELECT action, status, sum(n)::bigint FROM ("
                        + "SELECT action, status, count(*) AS n FROM provisioning_log WHERE job_id=$1 AND cycle_id=$2 "
                        + "GROUP BY action, status UNION ALL SELECT l.action, l.status, -count(*) "
                        + "FROM provisioning_log l WHERE l.result_id IN (SELECT f.retry_of FROM provisioning_log f "
                        + "WHERE f.retry_of IS NOT NULL) AND l.job_id=$1 AND l.cycle_id=$2 GROUP BY l.action, l.status"
                        + ") c GROUP BY action, status HAVING sum(n) > 0")
                .execute(Tuple.of(jobId, cycleId)).map(rs -> {
                    Map<String, Long> counts = new TreeMap<>();
                    rs.forEach(r -> counts.put(r.getString(0) + "/" + r.getString(1), r.getLong(2)));
                    return counts;
                });
    }

    /**
     * A place in the job's log, in its order (newest first: {@code occurred_at} descending, then {@code result_id}
     * descending, so records that occurred at the same instant keep one order): the last record of a page.
     *
     * @param occurredAt the record's {@code occurred_at}, as stored (microseconds)
     * @param resultId the record's {@code result_id}
     */
    public record Position(OffsetDateTime occurredAt, String resultId) {
    }

    /**
     * A page of the job's log.
     *
     * @param records at most the limit asked, newest first
     * @param next the last record's position when records older than it match the same criteria (the next page
     *        starts after it); null when this page holds the last of them
     */
    public record LogPage(List<LogRecord> records, Position next) {
    }

    /**
     * The job's log records, newest first ({@link Position}'s order), filtered by whichever criteria are non-null:
     * at most {@code limit} of those strictly after {@code after} in that order (from the newest when null). Reads
     * {@code limit + 1} rows to know whether more match. No index of its own: PostgreSQL reads an index on
     * {@code occurred_at} in order ({@code provisioning_log_time (job_id, occurred_at DESC)}, or
     * {@code provisioning_log_occurred}) and sorts only the records of one instant by result id (an incremental sort;
     * seen with EXPLAIN on PostgreSQL 15), and {@code occurred_at <=} the position's bounds the index scan.
     */
    public Uni<LogPage> query(String jobId, String cycleId, String objectId, String action, String status,
            String errorCode, OffsetDateTime since, Position after, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM provisioning_log WHERE job_id=$1");
        Tuple params = Tuple.of(jobId);
        int n = 1;
        if (cycleId != null) {
            sql.append(" AND cycle_id=$").append(++n);
            params.addValue(cycleId);
        }
        if (objectId != null) {
            sql.append(" AND object_id=$").append(++n);
            params.addValue(objectId);
        }
        if (action != null) {
            sql.append(" AND action=$").append(++n);
            params.addValue(action);
        }
        if (status != null) {
            sql.append(" AND status=$").append(++n);
            params.addValue(status);
        }
        if (errorCode != null) {
            sql.append(" AND error_code=$").append(++n);
            params.addValue(errorCode);
        }
        if (since != null) {
            sql.append(" AND occurred_at >= $").append(++n);
            params.addValue(since);
        }
        if (after != null) {
            int at = ++n;
            int id = ++n;
            sql.append(" AND occurred_at <= $").append(at).append(" AND (occurred_at < $").append(at)
                    .append(" OR result_id < $").append(id).append(')');
            params.addValue(after.occurredAt()).addValue(after.resultId());
        }
        sql.append(" ORDER BY occurred_at DESC, result_id DESC LIMIT $").append(++n);
        params.addValue(limit + 1);
        return pool.preparedQuery(sql.toString()).execute(params).map(rs -> {
            List<LogRecord> records = new ArrayList<>();
            Position last = null;
            for (Row r : rs) {
                if (records.size() == limit) {
                    return new LogPage(records, last);
                }
                records.add(LogRecord.of(r));
                last = new Position(r.getOffsetDateTime("occurred_at"), r.getString("result_id"));
            }
            return new LogPage(records, null);
        });
    }

    static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }

    /**
     * One provisioning log record as the API shows it. {@code modifiedProperties} is the JSON array the result carried
     * (stored as its text, written into the answer as the array it is: {@code [{"name": "displayName", "oldValue":
     * "Ann", "newValue": "Ann Lee"}]}, as provision on demand and Graph's provisioningObjectSummary show it), or null
     * when nothing changed.
     */
    public record LogRecord(String jobId, String cycleId, String changeId, String objectType, String sourceId,
            String targetId, String displayName, String action, String status, String errorCode, String reason,
            Integer httpStatus, int attempts, long durationMillis, @JsonRawValue String modifiedProperties,
            String reportedBy,
            OffsetDateTime occurredAt, OffsetDateTime retryAt, String retryOf) {

        static LogRecord of(Row r) {
            return new LogRecord(r.getString("job_id"), r.getString("cycle_id"), r.getString("event_id"),
                    r.getString("object_type"), r.getString("object_id"), r.getString("target_id"),
                    r.getString("display_name"), r.getString("action"), r.getString("status"),
                    r.getString("error_code"),
                    r.getString("reason"), r.getInteger("http_status"), r.getInteger("attempts"),
                    r.getLong("duration_ms"),
                    r.getString("modified_properties"), r.getString("reported_by"), r.getOffsetDateTime("occurred_at"),
                    r.getOffsetDateTime("retry_at"), r.getString("retry_of"));
        }
    }
}
