package dev.provisioning.writer.persistence;

import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BinaryOperator;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.type.TypeReference;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.events.Json;
import dev.provisioning.writer.config.WriterMeters;
import dev.provisioning.writer.escrow.Escrowed;

/**
 * The writer's state in PostgreSQL: the id map and the processed operations, through the reactive pool. Every method
 * is one SQL statement (autocommit: no transaction is held open, none while Druva is being called); the upserts are
 * single {@code INSERT ... ON CONFLICT} statements, so two replicas racing for an object during a rebalance cannot lose
 * an update. Completes on the caller's Vert.x context.
 *
 * <p>
 * Each id-map row remembers the operation that last changed it ({@link Mark}), written in the same statement as the
 * change, and may hold its outcome once complete. The writer no longer stores that copy (since the fourteenth round:
 * an operation's last change is written with its result, {@link #markProcessed(String, String, String, String,
 * IdMapChange)}, so a redelivery finds the result); rows written before hold it and are still read
 * ({@link Entry#completedBy}). A create is marked before it is sent (a row without a
 * Druva id), so a create that reached Druva just before a crash is recognised as this operation's when it is matched
 * again. A delete leaves a tombstone with its mark.
 *
 * <p>
 * The statements an operation makes are batched (issue 13, W2 and W4): the calls of concurrent operations within
 * {@link Batching#DEFAULT} (1 ms, or 64 calls) become one statement over arrays ({@link MicroBatcher}), one per kind
 * of call ({@link #lookup}, {@link #markProcessed}, {@link #markCreateSent}, {@link #saveLink}, {@link #markOutcome},
 * {@link #removeLink}); each call still completes only after its window's statement has committed (so a create is
 * still marked before it is sent, and linked before its result is recorded), and a failing statement fails the calls
 * of its window only, each of which is retried as before. An id-map write cannot touch one row twice in a statement
 * ({@code ON CONFLICT DO UPDATE} refuses it): calls of one row in one window are merged into the write they amount
 * to in call order ({@link MicroBatcher#perKey}). {@link #forgetCreate} (a failed create) stays one statement.
 */
@ApplicationScoped
public class WriterStore {

    private static final Logger LOG = Logger.getLogger(WriterStore.class);
    private static final TypeReference<Map<String, Object>> STATE = new TypeReference<>() {
    };

    private static final String TARGET_IDS = "SELECT source_id, target_id FROM id_map WHERE id = ANY($1) "
            + "AND target_id IS NOT NULL AND NOT deleted";
    /** What {@link Entry} is read from. */
    private static final String ENTRY_COLUMNS = "id, job_id, object_type, target_id, target_state, deleted, "
            + "operation_id, outcome";
    /**
     * The rules of an upsert, on the row as it was ({@code id_map.*}): the first cycle is the operation's when the row
     * is new or a tombstone; a create in flight or a managed object keeps its first cycle.
     */
    private static final String INSERT_ENTRY = "INSERT INTO id_map (id, job_id, object_type, source_id, target_id, "
            + "target_state, updated_at, operation_id, outcome, first_cycle_id, deleted) ";
    private static final String FIRST_CYCLE = "first_cycle_id = CASE WHEN id_map.deleted "
            + "THEN EXCLUDED.first_cycle_id ELSE id_map.first_cycle_id END";
    /** The rows of one window of id-map upserts ({@link IdMapRow}), one per key. */
    private static final String ROWS = "SELECT k.id, k.job_id, k.object_type, k.source_id, k.target_id, "
            + "k.target_state, now(), k.operation_id, k.outcome, k.first_cycle_id, false FROM unnest($1::varchar[], "
            + "$2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::text[], $7::varchar[], $8::text[], "
            + "$9::varchar[]) AS k (id, job_id, object_type, source_id, target_id, target_state, operation_id, "
            + "outcome, first_cycle_id) ";
    private static final String SAVE_LINKS = INSERT_ENTRY + ROWS + "ON CONFLICT (id) DO UPDATE SET "
            + "target_id = EXCLUDED.target_id, target_state = EXCLUDED.target_state, deleted = false, "
            + "operation_id = EXCLUDED.operation_id, outcome = EXCLUDED.outcome, updated_at = now(), " + FIRST_CYCLE;
    /** Not managed: no row, a create in flight (of this or another operation) or a tombstone. */
    private static final String NOT_MANAGED = "(id_map.target_id IS NULL OR id_map.deleted)";
    /** The rows' target id and state are null and {@code '{}'}: a create in flight. */
    private static final String MARK_CREATES_SENT = INSERT_ENTRY + ROWS + "ON CONFLICT (id) DO UPDATE SET "
            + "target_id = CASE WHEN " + NOT_MANAGED + " THEN NULL ELSE id_map.target_id END, "
            + "target_state = CASE WHEN " + NOT_MANAGED + " THEN '{}' ELSE id_map.target_state END, "
            + "operation_id = CASE WHEN " + NOT_MANAGED + " THEN EXCLUDED.operation_id ELSE id_map.operation_id END, "
            + "outcome = CASE WHEN " + NOT_MANAGED + " THEN NULL ELSE id_map.outcome END, "
            + "deleted = false, updated_at = now(), " + FIRST_CYCLE;
    /** {@link #markOutcome} for many rows ({@link IdMapRow#id}, operation id, outcome). */
    private static final String MARK_OUTCOMES = "UPDATE id_map SET operation_id = k.operation_id, outcome = k.outcome "
            + "FROM unnest($1::varchar[], $2::varchar[], $3::text[]) AS k (id, operation_id, outcome) "
            + "WHERE id_map.id = k.id";
    /** {@link #removeLink} for many rows ({@link IdMapRow#id}, operation id, outcome). */
    private static final String REMOVE_LINKS = "UPDATE id_map SET deleted = true, target_state = '{}', "
            + "operation_id = k.operation_id, outcome = k.outcome, updated_at = now() "
            + "FROM unnest($1::varchar[], $2::varchar[], $3::text[]) AS k (id, operation_id, outcome) "
            + "WHERE id_map.id = k.id";

    /** {@link #lookup} for many keys: one row per key, numbered by the key's position ({@code k_n}, from 1). */
    private static final String LOOKUP_ALL = "SELECT k.n AS k_n, p.result_json AS processed_result, "
            + EscrowStore.columnsOf("e") + ", "
            + Stream.of(ENTRY_COLUMNS.split(", ")).map(c -> "m." + c + " AS map_" + c).collect(Collectors.joining(", "))
            + " FROM unnest($1::varchar[], $2::varchar[], $3::varchar[]) WITH ORDINALITY"
            + " AS k (result_id, escrow_id, map_id, n)"
            + " LEFT JOIN processed_operation p ON p.result_id = k.result_id"
            + " LEFT JOIN escrow e ON e.id = k.escrow_id"
            + " LEFT JOIN id_map m ON m.id = k.map_id";
    /**
     * {@link #markProcessed} for many results: the first row of a result id wins, within the statement as against the
     * table (as one statement per result did).
     */
    private static final String MARK_PROCESSED_ALL = "INSERT INTO processed_operation (result_id, job_id, operation_id, "
            + "result_json, processed_at) SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], "
            + "$4::text[], $5::timestamptz[]) ON CONFLICT (result_id) DO NOTHING";
    /** A statement's parameter ({@code $1}). */
    private static final Pattern PARAMETER = Pattern.compile("\\$(\\d+)");
    /**
     * {@link #markProcessed} with the id-map changes of its operations, by the kinds present ({@link #completeAll}):
     * one statement, {@link #MARK_PROCESSED_ALL} ($1-$5) after a data-modifying {@code WITH} of each kind's statement
     * (its parameters numbered on), so the processed rows and their id-map rows commit together or not at all.
     */
    private static final Map<Set<ChangeKind>, String> COMPLETE_ALL = completeStatements();

    /**
     * How calls are gathered into one statement.
     *
     * @param maxSize calls in one statement at most
     * @param window how long the first call of a window waits for others
     */
    public record Batching(int maxSize, Duration window) {

        /** 64 calls (the objects one tenant runs at once) or 1 ms. */
        public static final Batching DEFAULT = new Batching(64, Duration.ofMillis(1));
    }

    /** The keys of one {@link #lookup}. */
    private record LookupKeys(String resultId, String escrowId, String mapId) {
    }

    /**
     * One id-map write: the row's key and, for an upsert, the values it inserts ({@code targetState} JSON; null
     * {@code targetId}: a create in flight); an update uses the key, {@code operationId} and {@code outcome} only.
     */
    private record IdMapRow(String id, String jobId, String objectType, String sourceId, String targetId,
            String targetState, String operationId, String outcome, String firstCycleId) {

        static IdMapRow of(String jobId, String objectType, String sourceId, String targetId, String targetState,
                String operationId, String outcome, String firstCycleId) {
            return new IdMapRow(idOf(jobId, objectType, sourceId), jobId, objectType, sourceId, targetId, targetState,
                    operationId, outcome, firstCycleId);
        }

        /**
         * Two upserts of this row, this one after {@code earlier}: the later one's values, with the earlier one's
         * first cycle. Either upsert keeps the first cycle of a live row or a create in flight and sets it on a new row
         * or a tombstone, and leaves the row neither; so the two in turn leave the earlier's cycle on a row that was
         * new or a tombstone, and the row's own otherwise: as this one write does.
         */
        IdMapRow after(IdMapRow earlier) {
            return new IdMapRow(id, jobId, objectType, sourceId, targetId, targetState, operationId, outcome,
                    earlier.firstCycleId());
        }
    }

    /** The row of one {@link #markProcessed}, and the id-map change written with it (null: none). */
    private record ProcessedRow(String resultId, String jobId, String operationId, String resultJson,
            OffsetDateTime processedAt, IdMapChange change) {
    }

    /** The kinds of id-map write ({@link IdMapChange}): each has its statement over arrays. */
    private enum ChangeKind {
        /** {@link #saveLink}: an upsert ({@link #SAVE_LINKS}). */
        LINK(SAVE_LINKS, 9),
        /** {@link #markOutcome}: an update ({@link #MARK_OUTCOMES}). */
        OUTCOME(MARK_OUTCOMES, 3),
        /** {@link #removeLink}: an update ({@link #REMOVE_LINKS}). */
        REMOVAL(REMOVE_LINKS, 3);

        final String sql;
        /** How many array parameters {@link #sql} takes, from $1. */
        final int parameters;

        ChangeKind(String sql, int parameters) {
            this.sql = sql;
            this.parameters = parameters;
        }

        /**
         * The one write two writes of one row amount to, {@code later} run after {@code earlier}: for an upsert, the
         * later one's values with the earlier one's first cycle ({@link IdMapRow#after}); an update sets the same
         * columns whatever the row holds, so the later one is what both amount to.
         */
        IdMapRow merge(IdMapRow earlier, IdMapRow later) {
            return this == LINK ? later.after(earlier) : later;
        }

        /** Adds the rows' arrays, as {@link #sql} numbers them, to {@code tuple}. */
        Tuple addTo(Tuple tuple, Collection<IdMapRow> rows) {
            int n = rows.size();
            String[][] columns = new String[parameters][n];
            int i = 0;
            for (IdMapRow row : rows) {
                if (this == LINK) {
                    columns[0][i] = row.id();
                    columns[1][i] = row.jobId();
                    columns[2][i] = row.objectType();
                    columns[3][i] = row.sourceId();
                    columns[4][i] = row.targetId();
                    columns[5][i] = row.targetState();
                    columns[6][i] = row.operationId();
                    columns[7][i] = row.outcome();
                    columns[8][i] = row.firstCycleId();
                } else {
                    columns[0][i] = row.id();
                    columns[1][i] = row.operationId();
                    columns[2][i] = row.outcome();
                }
                i++;
            }
            for (String[] column : columns) {
                tuple.addArrayOfString(column);
            }
            return tuple;
        }
    }

    /**
     * The write an operation ends with in the id map (a link, its outcome, a tombstone), to be written in one
     * statement with the operation's processed row ({@link #markProcessed(String, String, String, String,
     * IdMapChange)}), or alone ({@link #write}). Made by {@link #linking}, {@link #marking}, {@link #removing}.
     * Immutable.
     */
    public static final class IdMapChange {
        private final ChangeKind kind;
        private final IdMapRow row;

        private IdMapChange(ChangeKind kind, IdMapRow row) {
            this.kind = kind;
            this.row = row;
        }

        @Override
        public String toString() {
            return kind + " of " + row.id() + " by operation " + row.operationId();
        }
    }

    /**
     * Creates or replaces the link of a source object, with the operation's mark: the write of {@link #saveLink}.
     *
     * @param cycleId the operation's cycle: recorded as the object's first cycle when it was not managed before (no
     *        row, or a tombstone; a create in flight keeps the cycle it was marked in)
     */
    public static IdMapChange linking(String jobId, String objectType, String sourceId, Link link, String cycleId,
            Mark mark) {
        return new IdMapChange(ChangeKind.LINK, IdMapRow.of(jobId, objectType, sourceId, link.targetId(),
                Json.write(link.state()), mark.operationId(), mark.outcome(), cycleId));
    }

    /** Records the outcome of the operation that last changed the row: the write of {@link #markOutcome}. */
    public static IdMapChange marking(String jobId, String objectType, String sourceId, Mark mark) {
        return new IdMapChange(ChangeKind.OUTCOME, IdMapRow.of(jobId, objectType, sourceId, null, null,
                mark.operationId(), mark.outcome(), null));
    }

    /** A tombstone with the operation's mark: the write of {@link #removeLink}. */
    public static IdMapChange removing(String jobId, String objectType, String sourceId, Mark mark) {
        return new IdMapChange(ChangeKind.REMOVAL, IdMapRow.of(jobId, objectType, sourceId, null, null,
                mark.operationId(), mark.outcome(), null));
    }

    private final MeterRegistry registry;
    private final Pool pool;
    private final MicroBatcher<LookupKeys, Found> lookups;
    private final MicroBatcher<ProcessedRow, Boolean> processed;
    /** The id-map writes made alone ({@link #write}), by kind. */
    private final Map<ChangeKind, MicroBatcher<IdMapRow, Void>> changes = new EnumMap<>(ChangeKind.class);
    private final MicroBatcher<IdMapRow, Void> createsSent;

    @Inject
    public WriterStore(MeterRegistry registry, Pool pool, Vertx vertx) {
        this(registry, pool, vertx, Batching.DEFAULT);
    }

    /** A store whose calls are gathered as {@code batching} says (tests: a long window, a known size). */
    public WriterStore(MeterRegistry registry, Pool pool, Vertx vertx, Batching batching) {
        this.registry = registry;
        this.pool = pool;
        this.lookups = new MicroBatcher<>(vertx, batching.maxSize(), batching.window(), this::lookupAll);
        this.processed = new MicroBatcher<>(vertx, batching.maxSize(), batching.window(), this::markAllProcessed);
        for (ChangeKind kind : ChangeKind.values()) {
            changes.put(kind, idMapWrites(vertx, batching, kind::merge,
                    rows -> pool.preparedQuery(kind.sql).execute(kind.addTo(Tuple.tuple(), rows))));
        }
        // a create in flight is an upsert of its own rules, merged as a link is
        this.createsSent = idMapWrites(vertx, batching, ChangeKind.LINK::merge,
                rows -> pool.preparedQuery(MARK_CREATES_SENT).execute(ChangeKind.LINK.addTo(Tuple.tuple(), rows)));
    }

    private static MicroBatcher<IdMapRow, Void> idMapWrites(Vertx vertx, Batching batching,
            BinaryOperator<IdMapRow> merge, Function<List<IdMapRow>, Uni<?>> statement) {
        return MicroBatcher.perKey(vertx, batching.maxSize(), batching.window(), IdMapRow::id, merge, statement);
    }

    /**
     * A managed object: its Druva id and the attributes Druva is known to hold.
     *
     * @param readable false when the stored attributes could not be decoded ({@code state} is then empty, and must
     *        not be taken for what Druva holds: read the object from Druva again)
     */
    public record Link(String targetId, Map<String, Object> state, boolean readable) {

        public Link(String targetId, Map<String, Object> state) {
            this(targetId, state, true);
        }
    }

    /**
     * The operation that changed a row, and its outcome (JSON) once complete.
     *
     * @param outcome null while the operation is still in progress, and when the outcome is recorded as the
     *        operation's result in the same statement (what the provisioners write since the fourteenth round)
     */
    public record Mark(String operationId, String outcome) {
    }

    /** What the id map holds for one source object: a link, a create in flight, or a tombstone. */
    public record Entry(String targetId, Map<String, Object> state, boolean readable, boolean deleted,
            String operationId, String outcome) {

        /** The link, when the object is managed (it has a Druva id and is not deleted). */
        public Optional<Link> live() {
            return targetId != null && !deleted ? Optional.of(new Link(targetId, state, readable)) : Optional.empty();
        }

        /** The outcome this operation stored when it completed (its result was then lost), if any. */
        public Optional<String> completedBy(String operationId) {
            return operationId.equals(this.operationId) && outcome != null ? Optional.of(outcome) : Optional.empty();
        }

        /** Whether this operation sent a create whose answer was never stored. */
        public boolean createSentBy(String operationId) {
            return targetId == null && !deleted && operationId.equals(this.operationId);
        }
    }

    /**
     * What one operation needs to know before it is carried out, read in one statement: its recorded result, the row
     * of its waiting object and its object's id-map entry.
     *
     * @param processed the result recorded for the operation ({@link #processedResult}), if any
     * @param escrow the object's row in {@code escrow} ({@link EscrowStore#find}), if any
     * @param entry the object's id-map entry ({@link #findEntry}), if any
     */
    public record Found(Optional<String> processed, Optional<Escrowed> escrow, Optional<Entry> entry) {
    }

    /**
     * Reads, in one round trip, the recorded result {@code resultId}, the escrow row {@code escrowId} and the id-map
     * entry of the object (each of the three may be missing; a null key is not looked up). The statement is shared
     * with the lookups of concurrent operations ({@link Batching}); completes on the caller's Vert.x context, fails
     * when that statement fails.
     *
     * @param resultId {@code ProvisioningResult.idOf(...)} or a follow-up id; null: not looked up
     * @param escrowId {@code Escrowed.idOf(jobId, objectType, objectId)}; null: not looked up
     * @param mapKey the object ({@code jobId}, {@code objectType}, {@code sourceId}); null: not looked up
     */
    public Uni<Found> lookup(String resultId, String escrowId, ObjectKey mapKey) {
        return lookups.submit(new LookupKeys(resultId, escrowId,
                mapKey == null ? null : idOf(mapKey.jobId(), mapKey.objectType(), mapKey.sourceId())));
    }

    /** One window of {@link #lookup}s: one statement, one {@link Found} per call, in order. */
    private Uni<List<Found>> lookupAll(List<LookupKeys> keys) {
        String[] results = new String[keys.size()];
        String[] escrows = new String[keys.size()];
        String[] maps = new String[keys.size()];
        for (int i = 0; i < keys.size(); i++) {
            results[i] = keys.get(i).resultId();
            escrows[i] = keys.get(i).escrowId();
            maps[i] = keys.get(i).mapId();
        }
        return pool.preparedQuery(LOOKUP_ALL)
                .execute(Tuple.tuple().addArrayOfString(results).addArrayOfString(escrows).addArrayOfString(maps))
                .map(rows -> {
                    Found[] found = new Found[keys.size()];
                    for (Row row : rows) {
                        found[row.getLong("k_n").intValue() - 1] = foundOf(row);
                    }
                    return List.of(found);
                });
    }

    private Found foundOf(Row row) {
        Optional<String> processed = Optional.ofNullable(row.getString("processed_result"));
        Optional<Escrowed> escrow = row.getString("id") == null
                ? Optional.empty()
                : Optional.of(EscrowStore.read(row));
        Optional<Entry> entry = row.getString("map_id") == null
                ? Optional.empty()
                : Optional.of(entryOf(row, "map_"));
        return new Found(processed, escrow, entry);
    }

    /** An object of a job: the key of its id-map row. */
    public record ObjectKey(String jobId, String objectType, String sourceId) {
    }

    public Uni<Optional<Entry>> findEntry(String jobId, String objectType, String sourceId) {
        return pool.preparedQuery("SELECT " + ENTRY_COLUMNS + " FROM id_map WHERE id = $1")
                .execute(Tuple.of(idOf(jobId, objectType, sourceId)))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(entryOf(rows.iterator().next(), "")));
    }

    /**
     * Creates or replaces the link of a source object, with the operation's mark. Completes once the row is committed
     * (one statement with the calls of concurrent operations, {@link Batching}); fails when that statement fails.
     *
     * @param cycleId the operation's cycle: recorded as the object's first cycle when it was not managed before (no
     *        row, or a tombstone; a create in flight keeps the cycle it was marked in)
     */
    public Uni<Void> saveLink(String jobId, String objectType, String sourceId, Link link, String cycleId, Mark mark) {
        return write(linking(jobId, objectType, sourceId, link, cycleId, mark));
    }

    /**
     * Writes the change alone (without a processed row). Completes once the row is committed (one statement with the
     * changes of the same kind of concurrent operations, {@link Batching}); fails when that statement fails.
     */
    public Uni<Void> write(IdMapChange change) {
        return changes.get(change.kind).submit(change.row);
    }

    /**
     * Records, before it is sent, that this operation creates the object (a row without a Druva id), unless the object
     * is managed (a managed row is left as it is). Completes once the row is committed, as {@link #saveLink}.
     */
    public Uni<Void> markCreateSent(String jobId, String objectType, String sourceId, String cycleId,
            String operationId) {
        return createsSent.submit(IdMapRow.of(jobId, objectType, sourceId, null, "{}", operationId, null, cycleId));
    }

    /** Forgets a create this operation sent that did not create anything (it failed). */
    public Uni<Void> forgetCreate(String jobId, String objectType, String sourceId, String operationId) {
        return pool.preparedQuery("DELETE FROM id_map WHERE id = $1 AND target_id IS NULL AND operation_id = $2")
                .execute(Tuple.of(idOf(jobId, objectType, sourceId), operationId)).replaceWithVoid();
    }

    /**
     * Records the outcome of the operation that last changed the row (when it completed after its last change).
     * Completes once committed, as {@link #saveLink}.
     */
    public Uni<Void> markOutcome(String jobId, String objectType, String sourceId, Mark mark) {
        return write(marking(jobId, objectType, sourceId, mark));
    }

    /**
     * The object is no longer managed (deleted in Druva, or gone there): a tombstone with the operation's mark.
     * Completes once committed, as {@link #saveLink}.
     */
    public Uni<Void> removeLink(String jobId, String objectType, String sourceId, Mark mark) {
        return write(removing(jobId, objectType, sourceId, mark));
    }

    /** Source ids resolved by one query of {@link #targetIds}. */
    public static final int TARGET_IDS_PER_QUERY = 1_000;

    /**
     * The Druva ids of those source objects that are managed, by source id (keyed by the instances of
     * {@code sourceIds}; unmanaged ones are absent). Resolved {@value #TARGET_IDS_PER_QUERY} source ids per query, one
     * query after the other: a 50,000-member group's whole id array, its 50,000 rows and a second copy of its source ids
     * as the map's keys were held at once (the writer's live set grew 50 -> 88 MiB at the 100,000-user benchmark's
     * group phase). Fails when a query fails.
     */
    public Uni<Map<String, String>> targetIds(String jobId, String objectType, Collection<String> sourceIds) {
        if (sourceIds.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        List<String> all = sourceIds instanceof List<String> list ? list : List.copyOf(sourceIds);
        return targetIds(jobId, objectType, all, 0, new HashMap<>(Math.max(16, all.size() * 4 / 3 + 1)));
    }

    private Uni<Map<String, String>> targetIds(String jobId, String objectType, List<String> all, int from,
            Map<String, String> out) {
        if (from >= all.size()) {
            return Uni.createFrom().item(out);
        }
        int to = Math.min(all.size(), from + TARGET_IDS_PER_QUERY);
        Map<String, String> asked = new HashMap<>((to - from) * 4 / 3 + 1);
        all.subList(from, to).forEach(s -> asked.putIfAbsent(s, s));
        // two columns, one array parameter: a 50,000-member group must not load 50,000 rows with their state (the
        // writer ran out of heap on the 100,000-user benchmark when it loaded entities)
        String[] ids = asked.keySet().stream().map(s -> idOf(jobId, objectType, s)).toArray(String[]::new);
        return pool.preparedQuery(TARGET_IDS).execute(Tuple.of(ids)).chain(rows -> {
            rows.forEach(row -> out.put(asked.getOrDefault(row.getString(0), row.getString(0)), row.getString(1)));
            return targetIds(jobId, objectType, all, to, out);
        });
    }

    /**
     * Whether the job manages an object of that type that was first linked in another cycle than {@code cycleId} (or
     * before first cycles were recorded): if not, {@code cycleId} is the job's initial cycle for that type.
     */
    public Uni<Boolean> hasLinksBefore(String jobId, String objectType, String cycleId) {
        return pool.preparedQuery("SELECT EXISTS (SELECT 1 FROM id_map WHERE job_id = $1 AND object_type = $2 "
                + "AND target_id IS NOT NULL AND NOT deleted AND (first_cycle_id IS NULL OR first_cycle_id <> $3))")
                .execute(Tuple.of(jobId, objectType, cycleId)).map(rows -> rows.iterator().next().getBoolean(0));
    }

    /** The result emitted for an operation already carried out, if any. */
    public Uni<Optional<String>> processedResult(String resultId) {
        return pool.preparedQuery("SELECT result_json FROM processed_operation WHERE result_id = $1")
                .execute(Tuple.of(resultId))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getString(0)));
    }

    /**
     * Records that an operation was carried out, with its result (the first result recorded is kept). Completes once
     * the row is committed: with the rows of concurrent calls, in one statement ({@link Batching}); fails when that
     * statement fails.
     */
    public Uni<Void> markProcessed(String resultId, String jobId, String operationId, String resultJson) {
        return markProcessed(resultId, jobId, operationId, resultJson, null);
    }

    /**
     * Records that an operation was carried out, with its result (the first result recorded is kept), and writes the
     * id-map change it ended with in the same statement: both are committed, or neither (issue 13: one round trip
     * where there were two). Completes once committed, with the rows of concurrent calls in one statement
     * ({@link Batching}); fails when that statement fails.
     *
     * @param change the operation's last id-map write ({@link #linking}, {@link #marking}, {@link #removing}); null:
     *        none
     */
    public Uni<Void> markProcessed(String resultId, String jobId, String operationId, String resultJson,
            IdMapChange change) {
        return processed.submit(new ProcessedRow(resultId, jobId, operationId, resultJson,
                OffsetDateTime.now(ZoneOffset.UTC), change)).replaceWithVoid();
    }

    /**
     * One window of {@link #markProcessed}s: one autocommitted statement ({@link #completeAll}), or one per
     * {@linkplain #rounds round} when two calls change one id-map row in different ways, run one after the other.
     */
    private Uni<List<Boolean>> markAllProcessed(List<ProcessedRow> calls) {
        Uni<Void> all = Uni.createFrom().voidItem();
        for (List<ProcessedRow> round : rounds(calls)) {
            all = all.chain(() -> completeAll(round));
        }
        return all.map(ignored -> Collections.nCopies(calls.size(), Boolean.TRUE));
    }

    /**
     * The calls of a window cut, in call order, into runs of calls that one statement can write: a call whose id-map
     * row an earlier call of the run changes in another way (a link, then a tombstone) starts the next run; changes of
     * one kind to one row are merged ({@link ChangeKind#merge}), as a window of {@link #write}s merges them.
     */
    private static List<List<ProcessedRow>> rounds(List<ProcessedRow> calls) {
        List<List<ProcessedRow>> rounds = new ArrayList<>();
        List<ProcessedRow> round = new ArrayList<>();
        Map<String, ChangeKind> kinds = new HashMap<>();
        for (ProcessedRow call : calls) {
            IdMapChange change = call.change();
            if (change != null) {
                ChangeKind seen = kinds.putIfAbsent(change.row.id(), change.kind);
                if (seen != null && seen != change.kind) {
                    rounds.add(round);
                    round = new ArrayList<>();
                    kinds.clear();
                    kinds.put(change.row.id(), change.kind);
                }
            }
            round.add(call);
        }
        rounds.add(round);
        return rounds;
    }

    /**
     * One statement: the calls' processed rows and their id-map changes ({@link #COMPLETE_ALL}). The processed rows go
     * in result-id order (a stable sort: the first call of an id stays first) and the id-map rows in id order, so two
     * statements writing the same rows (two replicas during a rebalance) wait for each other in one order and never
     * deadlock.
     */
    private Uni<Void> completeAll(List<ProcessedRow> calls) {
        Map<ChangeKind, TreeMap<String, IdMapRow>> byKind = new EnumMap<>(ChangeKind.class);
        for (ProcessedRow call : calls) {
            IdMapChange change = call.change();
            if (change != null) {
                byKind.computeIfAbsent(change.kind, kind -> new TreeMap<>()).merge(change.row.id(), change.row,
                        change.kind::merge);
            }
        }
        List<ProcessedRow> rows = new ArrayList<>(calls);
        rows.sort(Comparator.comparing(ProcessedRow::resultId, Comparator.nullsFirst(Comparator.naturalOrder())));
        String[] resultIds = new String[rows.size()];
        String[] jobIds = new String[rows.size()];
        String[] operationIds = new String[rows.size()];
        String[] json = new String[rows.size()];
        OffsetDateTime[] at = new OffsetDateTime[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            ProcessedRow row = rows.get(i);
            resultIds[i] = row.resultId();
            jobIds[i] = row.jobId();
            operationIds[i] = row.operationId();
            json[i] = row.resultJson();
            at[i] = row.processedAt();
        }
        Tuple tuple = Tuple.tuple().addArrayOfString(resultIds).addArrayOfString(jobIds)
                .addArrayOfString(operationIds).addArrayOfString(json).addArrayOfOffsetDateTime(at);
        byKind.forEach((kind, changed) -> kind.addTo(tuple, changed.values()));
        return pool.preparedQuery(COMPLETE_ALL.get(byKind.keySet())).execute(tuple).replaceWithVoid();
    }

    /** {@link #COMPLETE_ALL}: for each set of kinds, in {@link ChangeKind} order (as {@link #completeAll} adds them). */
    private static Map<Set<ChangeKind>, String> completeStatements() {
        Map<Set<ChangeKind>, String> statements = new HashMap<>();
        ChangeKind[] kinds = ChangeKind.values();
        for (int present = 0; present < 1 << kinds.length; present++) {
            Set<ChangeKind> set = EnumSet.noneOf(ChangeKind.class);
            StringBuilder with = new StringBuilder();
            int parameters = 5;
            for (int k = 0; k < kinds.length; k++) {
                if ((present & 1 << k) != 0) {
                    set.add(kinds[k]);
                    with.append(with.length() == 0 ? "WITH " : ", ").append(kinds[k].name().toLowerCase(Locale.ROOT))
                            .append(" AS (").append(numberedFrom(kinds[k].sql, parameters)).append(") ");
                    parameters += kinds[k].parameters;
                }
            }
            statements.put(Collections.unmodifiableSet(set), with + MARK_PROCESSED_ALL);
        }
        return Map.copyOf(statements);
    }

    /** The statement with its parameters {@code $n} numbered {@code $(n + by)}. */
    private static String numberedFrom(String sql, int by) {
        return PARAMETER.matcher(sql).replaceAll(m -> "\\$" + (Integer.parseInt(m.group(1)) + by));
    }

    /** {@code jobId/objectType/sourceId}: the primary key of {@code id_map}. */
    public static String idOf(String jobId, String objectType, String sourceId) {
        return jobId + "/" + objectType + "/" + sourceId;
    }

    /** The entry of a row holding {@link #ENTRY_COLUMNS}, each named with {@code prefix}. */
    private Entry entryOf(Row row, String prefix) {
        String id = row.getString(prefix + "id");
        String targetId = row.getString(prefix + "target_id");
        Map<String, Object> state = readState(row.getString(prefix + "target_state"), id, targetId,
                row.getString(prefix + "job_id"), row.getString(prefix + "object_type"));
        return new Entry(targetId, state == null ? Map.of() : state, state != null,
                row.getBoolean(prefix + "deleted"), row.getString(prefix + "operation_id"),
                row.getString(prefix + "outcome"));
    }

    /**
     * The stored attributes, or null when they cannot be decoded: an error that is logged and counted
     * ({@code scim.writer.state.unreadable}), never taken for an empty state (which would make the next request wrong).
     */
    private Map<String, Object> readState(String json, String id, String targetId, String jobId, String objectType) {
        try {
            Map<String, Object> state = Json.mapper().readValue(json, STATE);
            if (state == null) {
                throw new IllegalArgumentException("the stored state is JSON null");
            }
            return state;
        } catch (Exception failure) {
            LOG.errorf("id map row %s (Druva id %s): the stored Druva state cannot be read (%s); the object is read "
                    + "from Druva again", id, targetId, failure.getMessage());
            registry.counter(WriterMeters.STATE_UNREADABLE, PROVISIONING_JOB, jobId, "type", objectType).increment();
            return null;
        }
    }
}
