package dev.provisioning.detector.persistence;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collector;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.vertx.AsyncResultUni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.sqlclient.SqlResult;

import dev.provisioning.events.ObjectType;

/**
 * Reads the objects a job manages in Druva (what {@link ProvisioningLogRepository#recordAll} keeps in
 * {@code managed_object}) in full or as what changed since a version (migration V27). Every write of a job's managed
 * objects moves the job's version first in its transaction and locks the job's version row until the commit, so the
 * versions of one job commit in order: a read that saw version V (each read is one statement, one database snapshot)
 * has seen every write up to V and none after. A row carries the version that last wrote it; a deleted row leaves a
 * removal with the version that deleted it, until the housekeeping purges it and moves the job's horizon past it.
 */
@ApplicationScoped
public class ManagedObjectRepository {

    private final Pool pool;

    public ManagedObjectRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * The job's managed objects as of a version.
     *
     * @param version the job's version (0: the job never wrote its managed objects, or is gone)
     * @param origin the version the job's version row was created with (0 with version 0)
     * @param horizon removals at or below this version may be forgotten
     * @param objects a full read: every managed object with its type (mutable); a delta: the objects written since
     *        the version asked for, with their type
     * @param removed a delta: the objects deleted since the version asked for and not written again since (an object
     *        deleted and created again is in {@code objects} only); a full read: empty
     */
    public record Read(long version, long origin, long horizon, Map<String, ObjectType> objects, List<String> removed) {
    }

    /**
     * Which of a few objects the job holds in Druva (created or matched by it): one indexed read of the primary key,
     * for provision on demand (a user, or a group and its at most 5 members).
     *
     * @return the ids among {@code objectIds} that are managed
     */
    public Uni<Set<String>> among(String jobId, Collection<String> objectIds) {
        if (objectIds.isEmpty()) {
            return Uni.createFrom().item(Set.of());
        }
        return pool.preparedQuery("SELECT object_id FROM managed_object WHERE job_id = $1 AND object_id = ANY($2)")
                .execute(Tuple.of(jobId, objectIds.toArray(String[]::new))).map(rows -> {
                    Set<String> managed = new HashSet<>();
                    rows.forEach(r -> managed.add(r.getString(0)));
                    return managed;
                });
    }

    /**
     * Every managed object of the job, with the version it is as of. Each row goes into the map as it is decoded
     * ({@code collecting}), so the rows are never held together: at 100,000 objects a row set held every row (some
     * 250 bytes each) beside the map while the cycle held its snapshot and read (the first cycle's follow-up reads in
     * full; issue 13).
     */
    public Uni<Read> all(String jobId) {
        // the Mutiny binding has no collecting: the core client's, its answer as a Uni as the binding makes it
        return AsyncResultUni.<SqlResult<Read>>toUni(handler -> pool.getDelegate()
                .preparedQuery("SELECT v.version, v.origin, v.horizon, m.object_id, m.object_type "
                        + "FROM (SELECT $1::varchar AS job_id) j LEFT JOIN managed_version v ON v.job_id = j.job_id "
                        + "LEFT JOIN managed_object m ON m.job_id = j.job_id")
                .collecting(Collector.of(Full::new, Full::add, (a, b) -> {
                    throw new IllegalStateException("the rows of one query are collected in order, on one thread");
                }, Full::read))
                .execute(io.vertx.sqlclient.Tuple.of(jobId), handler)).map(SqlResult::value);
    }

    /** A full read being collected, row by row. */
    private static final class Full {

        private final Map<String, ObjectType> objects = new HashMap<>();
        private final long[] version = new long[3];

        void add(io.vertx.sqlclient.Row r) {
            versions(r, version);
            if (r.getString(3) != null) {
                objects.put(sharedId(r.getString(3)), ObjectType.valueOf(r.getString(4)));
            }
        }

        Read read() {
            return new Read(version[0], version[1], version[2], objects, List.of());
        }
    }

    /**
     * What changed in the job's managed objects since {@code since}: the rows written and the removals made after it.
     * Version 0 when the job has no version row (never wrote its managed objects, or is gone).
     */
    public Uni<Read> since(String jobId, long since) {
        return pool.preparedQuery("SELECT v.version, v.origin, v.horizon, d.object_id, d.object_type, d.present "
                + "FROM managed_version v LEFT JOIN LATERAL ("
                + "SELECT object_id, object_type, true AS present FROM managed_object "
                + "WHERE job_id = v.job_id AND version > $2 UNION ALL "
                + "SELECT r.object_id, NULL, false FROM managed_object_removal r WHERE r.job_id = v.job_id "
                + "AND r.version > $2 AND NOT EXISTS (SELECT 1 FROM managed_object m WHERE m.job_id = r.job_id "
                + "AND m.object_id = r.object_id)) d ON true WHERE v.job_id = $1")
                .execute(Tuple.of(jobId, since)).map(rs -> {
                    Map<String, ObjectType> objects = new HashMap<>();
                    List<String> removed = new ArrayList<>();
                    long[] version = new long[3];
                    rs.forEach(r -> {
                        versions(r.getDelegate(), version);
                        if (r.getString(3) != null) {
                            if (Boolean.TRUE.equals(r.getBoolean(5))) {
                                objects.put(sharedId(r.getString(3)), ObjectType.valueOf(r.getString(4)));
                            } else {
                                removed.add(r.getString(3));
                            }
                        }
                    });
                    return new Read(version[0], version[1], version[2], objects, removed);
                });
    }

    /**
     * The one instance of an object id that the structures kept between cycles share (the read's, the snapshot's, the
     * managed objects'): the JVM's string pool, as the source's {@code Directory.sharedId}.
     */
    static String sharedId(String id) {
        return id.intern();
    }

    private static void versions(io.vertx.sqlclient.Row r, long[] version) {
        Long v = r.getLong(0);
        if (v != null) {
            version[0] = v;
            version[1] = r.getLong(1);
            version[2] = r.getLong(2);
        }
    }
}
