package dev.provisioning.detector.persistence;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.events.ObjectType;

/**
 * The {@code source_snapshot} table: the hash of each object's state as of the last cycle whose events reached Kafka,
 * and the object's display name then (so that an object gone from the source is still named by the name it had). It
 * is the directory file's watermark, and it only moves after the events are acknowledged by the broker.
 *
 * <p>
 * Every write of a job's snapshot ({@link #apply}, {@link #clear}) also moves the job's generation
 * ({@code snapshot_generation}, migration V26) in the same transaction, first, so that the writes of one job's
 * snapshot are serialised and each one learns the generation it replaced. A reader that keeps a snapshot in memory with
 * the generation it loaded it at ({@code cycle.SnapshotCache}) knows it is still what the table holds while
 * {@link #watermark} answers that generation. Generations come from one sequence ({@code snapshot_generation_seq}): a
 * value is never used twice, not even for a job deleted and created again with the same id.
 */
@ApplicationScoped
public class SnapshotRepository {

    /** Moves the generation (and records the source version the snapshot now reflects); answers the one it replaced. */
    private static final String MOVE = "INSERT INTO snapshot_generation AS g (job_id, generation, source_version) "
            + "SELECT id, nextval('snapshot_generation_seq'), $2 FROM job WHERE id=$1 ON CONFLICT (job_id) DO UPDATE "
            + "SET previous = g.generation, generation = EXCLUDED.generation, source_version = EXCLUDED.source_version "
            + "RETURNING g.previous, g.generation";
    /** Records the source version only; a job without a row gets its first generation. */
    private static final String VERSION = "INSERT INTO snapshot_generation AS g (job_id, generation, source_version) "
            + "SELECT id, nextval('snapshot_generation_seq'), $2 FROM job WHERE id=$1 ON CONFLICT (job_id) DO UPDATE "
            + "SET source_version = EXCLUDED.source_version RETURNING (xmax = 0) AS inserted, g.generation";
    /** {@link #UPSERT}'s arrays: object id, object type, state hash, display name. */
    private static final List<String> UPSERT_TYPES = List.of("varchar", "varchar", "varchar", "varchar");
    /** Upserts many objects of one job ($1) in one statement; the objects must be distinct. */
    private static final String UPSERT = "INSERT INTO source_snapshot (job_id, object_id, object_type, state_hash, "
            + "display_name, updated_at) SELECT $1::varchar, k.object_id, k.object_type, k.state_hash, k.display_name, "
            + "now() FROM " + Unnest.unnest(2, UPSERT_TYPES)
            + " AS k (object_id, object_type, state_hash, display_name) "
            + "ON CONFLICT (job_id, object_id) DO UPDATE SET object_type = EXCLUDED.object_type, "
            + "state_hash = EXCLUDED.state_hash, display_name = EXCLUDED.display_name, updated_at = now()";
    private static final Logger LOG = Logger.getLogger(SnapshotRepository.class);

    private final Pool pool;
    /** Rows written by one statement ({@code detector.snapshot-rows-per-statement}). */
    private final int rowsPerStatement;

    @Inject
    public SnapshotRepository(Pool pool, DetectorConfig config) {
        this(pool, config.snapshotRowsPerStatement());
    }

    SnapshotRepository(Pool pool, int rowsPerStatement) {
        if (rowsPerStatement < 1) {
            throw new IllegalArgumentException("detector.snapshot-rows-per-statement must be at least 1, not "
                    + rowsPerStatement);
        }
        this.pool = pool;
        this.rowsPerStatement = rowsPerStatement;
    }

    /**
     * Where a job's snapshot stands.
     *
     * @param generation the snapshot's generation; 0 while the job never wrote its snapshot (then it is empty)
     * @param sourceVersion the version of the directory file the snapshot's last cycle read (looked at before the read;
     *        {@code SourceWatch} gives its form), or null (another source, or no such cycle yet)
     */
    public record Watermark(long generation, String sourceVersion) {

        public static final Watermark NONE = new Watermark(0, null);
    }

    /**
     * What a write of the snapshot did to its generation.
     *
     * @param previous the generation the write replaced (0: the job had none); when it is the generation the writer
     *        loaded the snapshot at, nobody else wrote it in between
     * @param generation the generation now; 0 when the job is gone (nothing was written)
     * @param refused the objects whose change the database refused (left as they were), in the order given
     */
    public record Moved(long previous, long generation, List<String> refused) {

        /** A write that stored every change. */
        public Moved(long previous, long generation) {
            this(previous, generation, List.of());
        }
    }

    /** The job's snapshot generation and source version: one indexed read. */
    public Uni<Watermark> watermark(String jobId) {
        return pool.preparedQuery("SELECT generation, source_version FROM snapshot_generation WHERE job_id=$1")
                .execute(Tuple.of(jobId)).map(rs -> {
                    if (rs.size() == 0) {
                        return Watermark.NONE;
                    }
                    Row r = rs.iterator().next();
                    return new Watermark(r.getLong(0), r.getString(1));
                });
    }

    /**
     * The job's whole snapshot. Its maps are mutable, for {@link #mirror}. Read the {@link #watermark} before it: a
     * write committed in between then shows as a newer generation, never as a stale snapshot under a current one.
     */
    public Uni<Snapshot> load(String jobId) {
        return pool.preparedQuery(
                "SELECT object_id, object_type, state_hash, display_name FROM source_snapshot WHERE job_id=$1")
                .execute(Tuple.of(jobId)).map(rs -> {
                    Map<String, String> users = new HashMap<>();
                    Map<String, String> groups = new HashMap<>();
                    Map<String, String> names = new HashMap<>();
                    rs.forEach(r -> {
                        String id = ManagedObjectRepository.sharedId(r.getString(0));
                        (ObjectType.GROUP.name().equals(r.getString(1)) ? groups : users).put(id, r.getString(2));
                        if (r.getString(3) != null) {
                            names.put(id, r.getString(3));
                        }
                    });
                    return new Snapshot(users, groups, names);
                });
    }

    /**
     * Applies a cycle's snapshot changes in one transaction, which first moves the job's generation and records the
     * version of the source the cycle read, then writes the changes in statements of at most
     * {@code detector.snapshot-rows-per-statement} rows one after the other (the upserts of a statement's rows in one
     * {@link Unnest} statement, their removals in another), so that the parameters and the encoded message of one
     * statement stay bounded whatever the directory's size (issue 13: a 100,000-user first cycle wrote its rows in one
     * statement, and the detector's live set rose from 110 to 139 MiB and its heap grew by 15 MiB while it did, at its
     * peak RSS). The transaction commits all of them or none.
     *
     * <p>
     * When the database refuses the rows (SQLSTATE class 22 or 23: a NUL character in a name, a value too long), one
     * row may be the cause, so the changes are split in halves, each written in its own transaction (which moves the
     * generation, as every write does), each split again when refused so, down to single objects: a refused object is
     * logged and left as it was (the next cycle sees it as changed again), and the others are stored. A crash between
     * two halves leaves some objects moved and some not, which the next cycle's comparison finds, as after any cycle
     * that did not move its snapshot. A refusal that is not the rows' (the generation's own write refused) fails the
     * call.
     *
     * @param upserts by object type, object id to the hash of its new state (an id under two types takes the last
     *        one, in the map's order)
     * @param names object id to its display name in that state (an object without a name keeps none)
     * @param removals object ids no longer in the source (an id also among the upserts is removed)
     * @param sourceVersion the directory file's version the cycle looked at before its read, or null
     * @return the generation replaced and the new one; with no upserts nor removals the generation stays (previous
     *         and generation are equal) unless the job had none, and only the source version is written. With refused
     *         objects, those, the generation the first stored half replaced and the one the last left (another writer
     *         may have come between two halves: the table is not what {@link #mirror} would make of the snapshot
     *         anyway); when every change was refused, only the source version is written, as without changes
     */
    public Uni<Moved> apply(String jobId, Map<ObjectType, Map<String, String>> upserts, Map<String, String> names,
            Set<String> removals, String sourceVersion) {
        List<Change> all = changes(upserts, names, removals);
        if (all.isEmpty()) {
            return version(jobId, sourceVersion);
        }
        return write(jobId, all, sourceVersion).onFailure(DatabaseFailures::refused).recoverWithUni(e -> {
            if (all.size() > 1) {
                LOG.warnf("job %s: the database refused the snapshot's %d changes (%s): written in halves", jobId,
                        all.size(), e.getMessage());
            }
            Halves halves = new Halves();
            return split(jobId, all, sourceVersion, halves, e).chain(() -> halves.first == null
                    ? version(jobId, sourceVersion)
                    : Uni.createFrom().item(new Moved(halves.first.previous(), halves.last.generation())))
                    .map(moved -> new Moved(moved.previous(), moved.generation(), List.copyOf(halves.refused)));
        });
    }

    /**
     * {@link #apply}'s changes, one per object: its upsert under the last type that lists it (in {@code upserts}'
     * order), unless it is among the removals, then its removal; the upserts first, in the maps' order, then the
     * removals. Names are cut to their column (512 characters).
     */
    private static List<Change> changes(Map<ObjectType, Map<String, String>> upserts, Map<String, String> names,
            Set<String> removals) {
        List<Map<String, String>> byType = List.copyOf(upserts.values());
        List<ObjectType> types = List.copyOf(upserts.keySet());
        int size = removals.size();
        for (Map<String, String> hashes : byType) {
            size += hashes.size();
        }
        List<Change> changes = new ArrayList<>(size);
        for (int t = 0; t < byType.size(); t++) {
            String type = types.get(t).name();
            int later = t + 1;
            byType.get(t).forEach((id, hash) -> {
                if (!removals.contains(id) && !listedFrom(byType, later, id)) {
                    changes.add(new Change(id, type, hash, ProvisioningLogRepository.truncate(names.get(id), 512)));
                }
            });
        }
        removals.forEach(id -> changes.add(new Change(id, null, null, null)));
        return changes;
    }

    /** Whether a map of {@code byType} from index {@code from} on lists the object. */
    private static boolean listedFrom(List<Map<String, String>> byType, int from, String id) {
        for (int t = from; t < byType.size(); t++) {
            if (byType.get(t).containsKey(id)) {
                return true;
            }
        }
        return false;
    }

    /** Records the source version only (the generation stays, unless the job had none). */
    private Uni<Moved> version(String jobId, String sourceVersion) {
        return pool.preparedQuery(VERSION).execute(Tuple.of(jobId, sourceVersion)).map(rs -> {
            if (rs.size() == 0) {
                return new Moved(0, 0);
            }
            Row r = rs.iterator().next();
            long generation = r.getLong(1);
            return new Moved(Boolean.TRUE.equals(r.getBoolean(0)) ? 0 : generation, generation);
        });
    }

    /** What the halves of a refused write did: the first and last stored half's moves, and the refused objects. */
    private static final class Halves {

        Moved first;
        Moved last;
        final List<String> refused = new ArrayList<>();

        void stored(Moved moved) {
            if (first == null) {
                first = moved;
            }
            last = moved;
        }
    }

    /**
     * The database refused {@code changes} ({@code refusal}): a single change is logged and left as it was; more are
     * written half by half, each in its own transaction, split again when refused.
     */
    private Uni<Void> split(String jobId, List<Change> changes, String sourceVersion, Halves halves,
            Throwable refusal) {
        if (changes.size() == 1) {
            Change refused = changes.get(0);
            LOG.warnf("job %s: the database refused the snapshot's %s of object %s, left as it was (the next cycle "
                    + "sees it as changed again): %s", jobId, refused.removed() ? "removal" : "state",
                    refused.objectId(), refusal.getMessage());
            halves.refused.add(refused.objectId());
            return Uni.createFrom().voidItem();
        }
        int half = changes.size() / 2;
        return bisect(jobId, changes.subList(0, half), sourceVersion, halves)
                .chain(() -> bisect(jobId, changes.subList(half, changes.size()), sourceVersion, halves));
    }

    private Uni<Void> bisect(String jobId, List<Change> changes, String sourceVersion, Halves halves) {
        return write(jobId, changes, sourceVersion).invoke(halves::stored).replaceWithVoid()
                .onFailure(DatabaseFailures::refused)
                .recoverWithUni(e -> split(jobId, changes, sourceVersion, halves, e));
    }

    /**
     * One transaction: moves the generation, then (unless the job is gone) writes the changes {@link #rowsPerStatement}
     * at a time, one statement after the other, each built when the one before it is done.
     */
    private Uni<Moved> write(String jobId, List<Change> changes, String sourceVersion) {
        int statements = (changes.size() + rowsPerStatement - 1) / rowsPerStatement;
        return pool.withTransaction(c -> move(c, jobId, sourceVersion).call(moved -> moved.generation() == 0
                ? Uni.createFrom().voidItem()
                : Multi.createFrom().range(0, statements)
                        .onItem().transformToUniAndConcatenate(i -> write(c, jobId, changes.subList(
                                i * rowsPerStatement, Math.min(changes.size(), (i + 1) * rowsPerStatement))))
                        .collect().last().replaceWithVoid()));
    }

    /** Upserts and removes {@code rows} in {@code c}'s transaction: one statement for each that has any. */
    private static Uni<Void> write(SqlConnection c, String jobId, List<Change> rows) {
        List<Tuple> up = new ArrayList<>(rows.size());
        List<String> down = new ArrayList<>();
        for (Change change : rows) {
            if (change.removed()) {
                down.add(change.objectId());
            } else {
                up.add(Tuple.of(change.objectId(), change.type(), change.hash(), change.name()));
            }
        }
        Uni<Void> ups = up.isEmpty()
                ? Uni.createFrom().voidItem()
                : c.preparedQuery(UPSERT).execute(Unnest.arrays(Tuple.of(jobId), UPSERT_TYPES, up)).replaceWithVoid();
        return ups.chain(() -> down.isEmpty()
                ? Uni.createFrom().voidItem()
                : c.preparedQuery("DELETE FROM source_snapshot WHERE job_id=$1 AND object_id = ANY($2::varchar[])")
                        .execute(Tuple.of(jobId, down.toArray(String[]::new))).replaceWithVoid());
    }

    /** One object's change in a write of the snapshot: its new state, or its removal (type and hash null). */
    private record Change(String objectId, String type, String hash, String name) {

        boolean removed() {
            return type == null;
        }
    }

    /**
     * Applies what {@link #apply} wrote to a snapshot held in memory (one {@link #load} answered), in the same order:
     * upserts (an object takes its new type's map and its new name, or loses its name), then removals.
     */
    public static void mirror(Snapshot snapshot, Map<ObjectType, Map<String, String>> upserts,
            Map<String, String> names, Set<String> removals) {
        upserts.forEach((type, hashes) -> hashes.forEach((id, hash) -> {
            boolean group = type == ObjectType.GROUP;
            (group ? snapshot.groups() : snapshot.users()).put(id, hash);
            (group ? snapshot.users() : snapshot.groups()).remove(id);
            String name = ProvisioningLogRepository.truncate(names.get(id), 512);
            if (name == null) {
                snapshot.names().remove(id);
            } else {
                snapshot.names().put(id, name);
            }
        }));
        for (String id : removals) {
            snapshot.users().remove(id);
            snapshot.groups().remove(id);
            snapshot.names().remove(id);
        }
    }

    /**
     * Moves the job's generation first in {@code c}'s transaction (which locks its row until the commit). The database
     * refusing this write (a source version longer than its column) fails it as an {@link IllegalStateException}: no
     * object's row is the cause, so {@link #apply} never splits the changes for it.
     */
    private static Uni<Moved> move(SqlConnection c, String jobId, String sourceVersion) {
        return c.preparedQuery(MOVE).execute(Tuple.of(jobId, sourceVersion)).map(rs -> {
            if (rs.size() == 0) {
                return new Moved(0, 0);
            }
            Row r = rs.iterator().next();
            return new Moved(r.getLong(0), r.getLong(1));
        }).onFailure(DatabaseFailures::refused).transform(e -> new IllegalStateException(
                "job " + jobId + ": the database refused the snapshot generation's write: " + e.getMessage(), e));
    }

    /** Whether the job's snapshot holds groups (the job provisions groups). */
    public Uni<Boolean> holdsGroups(String jobId) {
        return pool.preparedQuery("SELECT EXISTS (SELECT 1 FROM source_snapshot WHERE job_id=$1 AND object_type=$2)")
                .execute(Tuple.of(jobId, ObjectType.GROUP.name())).map(rs -> rs.iterator().next().getBoolean(0));
    }

    /**
     * Forgets the snapshot, so the next cycle sees every object as new (restart with scope Full or Watermark); moves
     * its generation in the same transaction and forgets the source version it reflected.
     */
    public Uni<Void> clear(String jobId) {
        return pool.withTransaction(c -> move(c, jobId, null)
                .chain(() -> c.preparedQuery("DELETE FROM source_snapshot WHERE job_id=$1").execute(Tuple.of(jobId))))
                .replaceWithVoid();
    }

    /**
     * The hash of each object's state as of the last cycle, by object type, and the objects' names then.
     *
     * @param users user id to state hash
     * @param groups group id to state hash
     * @param names object id to its display name as of the last cycle that changed it; objects without one are absent
     */
    public record Snapshot(Map<String, String> users, Map<String, String> groups, Map<String, String> names) {

        public static final Snapshot EMPTY = new Snapshot(Map.of(), Map.of(), Map.of());

        /** A snapshot without names. */
        public Snapshot(Map<String, String> users, Map<String, String> groups) {
            this(users, groups, Map.of());
        }

        /** Whether the job has seen this object before. */
        public boolean contains(String objectId) {
            return users.containsKey(objectId) || groups.containsKey(objectId);
        }
    }
}
