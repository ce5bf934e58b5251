package dev.provisioning.detector.persistence;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The audit log of changes to jobs (table {@code job_audit}, V24): who, when, the action and the names of the fields
 * that changed. It never holds a value, so never a secret: a changed secret is recorded by its field's name only.
 * Entries outlive their job (its deletion is an entry too) until {@link #purge} removes them with the provisioning
 * log's retention.
 */
@ApplicationScoped
public class AuditLog {

    /** Most entries one read answers. */
    public static final int MAX_LIMIT = 500;

    private final Pool pool;

    public AuditLog(Pool pool) {
        this.pool = pool;
    }

    /**
     * One entry.
     *
     * @param id increasing with each entry: the cursor of the next page ({@code before})
     * @param at when the change was stored (UTC)
     * @param actor the caller: the bearer token's principal name ({@code upn}, {@code preferred_username} or
     *        {@code sub})
     * @param action {@code create}, {@code update}, {@code repair} (a PUT that replaced an unreadable row),
     *        {@code delete}, {@code start}, {@code pause}, {@code restart} or {@code allow-deletes}
     * @param fields the API names of the fields that changed ({@code tenantUrl}, {@code source.graph.clientSecret},
     *        ...), empty for an action that changes none
     * @param detail what else the action did, without values of the job (a restart's scopes, the deletions released)
     */
    public record Entry(long id, OffsetDateTime at, String actor, String action, List<String> fields, String detail) {
    }

    /**
     * Records an entry; in the job's own transaction when {@code client} is one, so a change and its entry are stored
     * together or not at all.
     */
    public Uni<Void> record(SqlClient client, String jobId, String actor, String action, List<String> fields,
            String detail) {
        return client.preparedQuery("INSERT INTO job_audit (job_id, actor, action, fields, detail) VALUES ($1, $2, $3,"
                + " $4, $5)")
                .execute(Tuple.of(jobId, actor, action, fields.toArray(String[]::new), detail))
                .replaceWithVoid();
    }

    /** {@link #record(SqlClient, String, String, String, List, String)} in a transaction of its own. */
    public Uni<Void> record(String jobId, String actor, String action, List<String> fields, String detail) {
        return record(pool, jobId, actor, action, fields, detail);
    }

    /**
     * The job's entries, newest first.
     *
     * @param before only entries with a smaller id (the previous page's last id); null for the newest
     * @param limit at most this many, 1 to {@value #MAX_LIMIT}
     */
    public Uni<List<Entry>> list(String jobId, Long before, int limit) {
        return pool.preparedQuery("SELECT id, at, actor, action, fields, detail FROM job_audit WHERE job_id = $1 AND "
                + "($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3")
                .execute(Tuple.of(jobId, before, limit))
                .map(rows -> {
                    List<Entry> entries = new ArrayList<>();
                    for (Row r : rows) {
                        entries.add(new Entry(r.getLong("id"), r.getOffsetDateTime("at"), r.getString("actor"),
                                r.getString("action"), List.of(r.getArrayOfStrings("fields")), r.getString("detail")));
                    }
                    return entries;
                });
    }

    /** Deletes the entries older than {@code before} (the provisioning log's retention); answers how many. */
    public Uni<Integer> purge(OffsetDateTime before) {
        return pool.preparedQuery("DELETE FROM job_audit WHERE at < $1").execute(Tuple.of(before))
                .map(rs -> rs.rowCount());
    }
}
