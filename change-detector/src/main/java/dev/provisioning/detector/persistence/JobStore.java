package dev.provisioning.detector.persistence;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongFunction;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.detector.config.DetectorMeters;
import dev.provisioning.detector.job.DeletionThreshold;
import dev.provisioning.detector.job.JobEvent;
import dev.provisioning.detector.job.ProvisioningJob;
import dev.provisioning.detector.job.Quarantine;
import dev.provisioning.detector.job.QuarantineReason;
import dev.provisioning.events.Json;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.SourceType;

/**
 * The {@code job} table, and the one way a job is changed: {@link #update} loads the {@link ProvisioningJob}, lets the
 * caller call one of its methods, and saves the row with the events that method raised (into the {@link Outbox}) in
 * one transaction, if nobody changed the row since it was loaded (its revision). On such a conflict, or when PostgreSQL
 * rolled the transaction back for a concurrent one (a deadlock or a serialization failure: {@link DatabaseFailures#conflict};
 * a job's deletion cascades over the rows the results consumer writes), the whole unit is run again on the fresh row,
 * at most {@value #ATTEMPTS} times: the one retry policy for concurrent changes to a job.
 *
 * <p>
 * Every read of job rows (a job, the list, a claim) maps them in one way ({@link #read(Row)}): a row this version
 * cannot read (a configuration that no longer parses, an unknown quarantine reason, a deletion threshold out of
 * range) is logged, counted ({@code provisioning.detector.jobs.unreadable}) and answered as an {@link UnreadableJob}
 * that names the field, never as a job with defaults; it is listed as such beside the others, left out of claims, and
 * refused by name ({@link UnreadableJobException}) when it is read or changed on its own, so it never keeps another
 * job from being read, listed or run. Such a row is repaired in place by a whole configuration ({@link #repair}), or
 * deleted ({@link #deleteUnreadable}).
 *
 * <p>
 * Cycles are claimed here with {@code FOR UPDATE SKIP LOCKED}, so several detector replicas never run the same job's
 * cycle at once; a claim older than the lease (its replica died) is taken over.
 */
@ApplicationScoped
public class JobStore {

    /** Attempts of one load-change-save unit when other writers keep changing the job. */
    static final int ATTEMPTS = 5;
    /** How long a save waits for its events to be published before it answers anyway (they stay stored). */
    static final Duration PUBLISH_WAIT = Duration.ofSeconds(5);
    /** The database's bound on a claim's lock waits, in fifths of the caller's wait: it gives up before its caller. */
    static final long CLAIM_BOUND_FIFTHS = 4;

    private static final Logger LOG = Logger.getLogger(JobStore.class);
    private static final String COLUMNS = "id, name, state, config, revision, next_cycle_at, full_cycle_requested, "
            + "cycle_claimed_at, last_error, created_at, updated_at, deletion_threshold, token_set_at, "
            + "token_expiry_warned, quarantine_reason, quarantine_detail, quarantined_since, quarantine_key, "
            + "quarantine_lifted_at, deletion_threshold_percent, cycle_requests, full_cycle_request, cycle_claim, "
            + "failed_cycles";

    private final Pool pool;
    private final Outbox outbox;
    private final MeterRegistry registry;
    private final ParsedConfigs configs = new ParsedConfigs();
    /** The fault last logged at ERROR for each job whose row cannot be read (by id), so it is logged once. */
    private final Map<String, String> unreadableLogged = new ConcurrentHashMap<>();

    public JobStore(Pool pool, Outbox outbox, MeterRegistry registry) {
        this.pool = pool;
        this.outbox = outbox;
        this.registry = registry;
    }

    /** A change made inside the save's transaction: it may read and write other tables with {@code tx}. */
    @FunctionalInterface
    public interface Change<T> {
        Uni<T> apply(ProvisioningJob job, SqlConnection tx);
    }

    /** Another writer changed the job between load and save. */
    static final class ConcurrentChange extends RuntimeException {

        ConcurrentChange(String jobId) {
            super("job " + jobId + " was changed by another writer", null, false, false);
        }
    }

    /**
     * The job, or empty when there is no such job.
     *
     * @throws UnreadableJobException (in the Uni) when its row cannot be read ({@link #read(Row)})
     */
    public Uni<Optional<ProvisioningJob>> find(String id) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM job WHERE id=$1").execute(Tuple.of(id))
                .map(rs -> {
                    if (rs.size() == 0) {
                        return Optional.empty();
                    }
                    Read read = read(rs.iterator().next());
                    if (read.job() == null) {
                        throw new UnreadableJobException(read.unreadable(), read.failure());
                    }
                    return Optional.of(read.job());
                });
    }

    /**
     * Every job, oldest first.
     *
     * @param readable the jobs whose rows can be read
     * @param unreadable the jobs whose rows cannot ({@link #read(Row)}), oldest first
     */
    public record Listed(List<ProvisioningJob> readable, List<UnreadableJob> unreadable) {
    }

    /**
     * Every job: one row that cannot be read is listed as unreadable, and never keeps the others from being listed.
     */
    public Uni<Listed> list() {
        return pool.query("SELECT " + COLUMNS + " FROM job ORDER BY created_at").execute().map(this::split);
    }

    /**
     * A directory file to watch ({@code cycle.SourceWatch}).
     *
     * @param jobId the job
     * @param path the file's path, as configured
     * @param sourceVersion the version of the file the job's snapshot reflects (looked at before its last cycle's
     *        read), or null when unknown
     */
    public record WatchedFile(String jobId, String path, String sourceVersion) {
    }

    /**
     * The files of the jobs whose directory file is watched: ACTIVE, not quarantined, source {@code DIRECTORY_FILE}
     * with a path; oldest job first. One query that answers three columns per job (no configuration is parsed).
     */
    public Uni<List<WatchedFile>> watchedFiles() {
        return pool.preparedQuery("SELECT j.id, j.config::jsonb #>> '{source,directoryFile}', g.source_version "
                + "FROM job j LEFT JOIN snapshot_generation g ON g.job_id = j.id "
                + "WHERE j.state = $1 AND j.quarantine_reason IS NULL "
                + "AND j.config::jsonb #>> '{source,type}' = $2 "
                + "AND j.config::jsonb #>> '{source,directoryFile}' IS NOT NULL ORDER BY j.created_at")
                .execute(Tuple.of(JobState.ACTIVE.name(), SourceType.DIRECTORY_FILE.name())).map(rs -> {
                    List<WatchedFile> files = new ArrayList<>();
                    rs.forEach(r -> files.add(new WatchedFile(r.getString(0), r.getString(1), r.getString(2))));
                    return files;
                });
    }

    /** Stores a new job ({@link ProvisioningJob#create}) and its events. */
    public Uni<Void> insert(ProvisioningJob job) {
        ProvisioningJob.Stored s = job.stored();
        JobConfig c = s.config();
        Tuple values = Tuple.tuple(List.of()).addValue(s.id()).addValue(c.name()).addValue(c.state().name())
                .addValue(Json.write(c)).addValue(1L).addValue(time(s.nextCycleAt())).addValue(s.fullCycleRequested())
                .addValue(time(s.cycleClaimedAt()))
                .addValue(s.lastError()).addValue(time(s.createdAt())).addValue(time(s.createdAt()))
                .addValue(s.deletionThreshold().count()).addValue(time(s.tokenSetAt()))
                .addValue(time(s.tokenExpiryWarned()))
                .addValue(null).addValue(null).addValue(null).addValue(null).addValue(time(s.quarantineLiftedAt()))
                .addValue(s.deletionThreshold().percent()).addValue(s.cycleRequests()).addValue(s.fullCycleRequest())
                .addValue(s.cycleClaim()).addValue(s.failedCycles());
        return pool.withTransaction(tx -> tx.preparedQuery("INSERT INTO job (" + COLUMNS + ") VALUES ($1,$2,$3,$4,$5,"
                + "$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24)").execute(values)
                .chain(() -> outbox.append(tx, job.events())))
                .chain(last -> outbox.published(last, PUBLISH_WAIT));
    }

    /**
     * Loads the job, applies {@code change} and saves it with its events; answers what {@code change} answered, or
     * empty when there is no such job. A change that changed nothing writes nothing (no transaction is opened).
     *
     * @throws IllegalStateException (in the Uni) when the job kept changing under {@value #ATTEMPTS} attempts
     */
    public <T> Uni<Optional<T>> update(String id, Function<ProvisioningJob, T> change) {
        return unit(id, job -> {
            T answer = Objects.requireNonNull(change.apply(job), "a change answers");
            return job.changed()
                    ? pool.withTransaction(tx -> save(tx, job)).map(last -> new Saved<>(answer, last))
                    : Uni.createFrom().item(new Saved<>(answer, 0L));
        });
    }

    /** {@link #update(String, Function)} with a change that also reads or writes other tables in the transaction. */
    public <T> Uni<Optional<T>> update(String id, Change<T> change) {
        return unit(id, job -> pool.withTransaction(tx -> change.apply(job, tx).chain(answer -> save(tx, job)
                .map(last -> new Saved<>(Objects.requireNonNull(answer, "a change answers"), last)))));
    }

    /**
     * Load, change and save as one unit, run again on the fresh row when another writer changed the job in between;
     * then waits for the unit's events to be published.
     */
    private <T> Uni<Optional<T>> unit(String id, Function<ProvisioningJob, Uni<Saved<T>>> changeAndSave) {
        return attempts(id, Uni.createFrom().deferred(() -> find(id).chain(found -> found.isEmpty()
                ? Uni.createFrom().item(Optional.<Saved<T>>empty())
                : changeAndSave.apply(found.get()).map(Optional::of))));
    }

    /**
     * A unit of work ({@code attempt}, deferred) run again on a concurrent change, at most {@value #ATTEMPTS} times;
     * then waits for its events to be published.
     */
    private <T> Uni<Optional<T>> attempts(String id, Uni<Optional<Saved<T>>> attempt) {
        return attempt
                .onFailure(e -> e instanceof ConcurrentChange || DatabaseFailures.conflict(e)).retry()
                .withBackOff(Duration.ofMillis(20), Duration.ofMillis(200))
                .atMost(ATTEMPTS - 1)
                .onFailure(ConcurrentChange.class).transform(e -> new IllegalStateException("job " + id
                        + " kept changing while it was being saved: gave up after " + ATTEMPTS + " attempts"))
                .chain(saved -> saved.isEmpty()
                        ? Uni.createFrom().item(Optional.<T>empty())
                        : outbox.published(saved.get().lastEvent(), PUBLISH_WAIT)
                                .replaceWith(Optional.of(saved.get().answer())));
    }

    private record Saved<T>(T answer, long lastEvent) {
    }

    /**
     * Whether there is a job with this id, whether its row can be read or not (the row is not read): for what needs
     * the job's id only, its provisioning log and audit log, which stay readable while its row cannot be read.
     */
    public Uni<Boolean> exists(String id) {
        return pool.preparedQuery("SELECT 1 FROM job WHERE id=$1").execute(Tuple.of(id)).map(rs -> rs.size() > 0);
    }

    /** A repair of an unreadable row, made inside the save's transaction ({@link #repair}). */
    @FunctionalInterface
    public interface Repair<T> {
        /**
         * @param job the job restored from its row with the replacement configuration
         * @param unreadable what could not be read of the row
         */
        Uni<T> apply(ProvisioningJob job, UnreadableJob unreadable, SqlConnection tx);
    }

    /** {@link #repair} was asked for a job whose row can be read (repaired or replaced meanwhile). */
    public static final class RowReadable extends RuntimeException {

        RowReadable(String jobId) {
            super("job " + jobId + ": its row can be read", null, false, false);
        }
    }

    /**
     * Repairs in place the row of a job that cannot be read ({@code PUT /jobs/{id}} with a whole configuration): the
     * job is restored from its row with {@code replacement} in place of its configuration, and the deletion threshold
     * values the request sent in place of the row's, keeping its id and everything else the row holds (schedule,
     * counts, token age, quarantine), then {@code change} repairs it ({@link ProvisioningJob#repair}) and it is saved
     * with its events, as {@link #update} saves a change. So a fault in what a request carries (the configuration, the
     * deletion threshold) is repaired; a fault in the rest of the row (field {@code row}: the schedule, the counts, the
     * claim, which no request carries) is not. The job's other tables (cycles, snapshot, managed objects and their
     * Druva ids, provisioning log, held deletions) are not touched. What the repair cannot keep is dropped: a
     * quarantine whose reason this version does not know, lifted with the QUARANTINE_LIFTED notice of any lift
     * ({@link ProvisioningJob#liftUnknownQuarantine}; the job is then no longer quarantined), and the claim of a
     * cycle (no replica runs a cycle of a row it cannot read: {@link #claimDue} leaves such a row out but keeps its
     * claim), so the next cycle does not wait for the lease. The row is locked ({@code FOR UPDATE}) from its read to
     * its save.
     *
     * @param replacement the replacement configuration, given the row's revision: no revision of the job's
     *        configuration ever exceeded it (every change of the configuration is a save of the row), so the repaired
     *        configuration, one above it, is newer than any the other services saw
     * @param thresholdCount the deletion threshold (a count) sent, or null to keep the row's
     * @param thresholdPercent the deletion threshold share sent, or null to keep the row's
     * @param change the repair and its audit entry, in the save's transaction
     * @return empty when there is no such job
     * @throws RowReadable (in the Uni) when the row can be read: it is changed as usual ({@link #update})
     * @throws UnreadableJobException (in the Uni) when the row cannot be read even with what was sent in place of its
     *         own (a fault elsewhere in the row, or a deletion threshold the request did not replace)
     */
    public <T> Uni<Optional<T>> repair(String id, LongFunction<JobConfig> replacement, Integer thresholdCount,
            Integer thresholdPercent, Repair<T> change) {
        Uni<Optional<Saved<T>>> attempt = Uni.createFrom().deferred(() -> pool.withTransaction(tx -> tx
                .preparedQuery("SELECT " + COLUMNS + " FROM job WHERE id=$1 FOR UPDATE").execute(Tuple.of(id))
                .chain(rs -> {
                    if (rs.size() == 0) {
                        return Uni.createFrom().item(Optional.<Saved<T>>empty());
                    }
                    Row r = rs.iterator().next();
                    Read read = read(r);
                    if (read.job() != null) {
                        return Uni.createFrom().failure(new RowReadable(id));
                    }
                    ProvisioningJob job;
                    try {
                        job = restore(r, replacement.apply(r.getLong("revision")), knownQuarantine(r),
                                threshold(r, thresholdCount, thresholdPercent), null, null);
                    } catch (RuntimeException e) {
                        return Uni.createFrom().failure(new UnreadableJobException(read.unreadable(), e));
                    }
                    job.liftUnknownQuarantine(r.getString("quarantine_reason"), r.getString("quarantine_key"),
                            Instant.now());
                    return change.apply(job, read.unreadable(), tx).chain(answer -> save(tx, job)
                            .map(last -> Optional.of(new Saved<>(Objects.requireNonNull(answer, "a repair answers"),
                                    last))));
                })));
        return attempts(id, attempt).invoke(repaired -> {
            if (repaired.isPresent()) {
                unreadableLogged.remove(id);
                LOG.infof("job %s: its unreadable row was repaired with a whole configuration (same id, its state "
                        + "kept)", id);
            }
        });
    }

    /** The row's quarantine, or null when it has none or its reason is not one this version knows. */
    private static Quarantine knownQuarantine(Row r) {
        try {
            return quarantine(r);
        } catch (IllegalArgumentException unknown) {
            return null;
        }
    }

    /**
     * Deletes the job (its tombstone goes to the outbox in the same transaction).
     *
     * @return false when there is no such job
     */
    public Uni<Boolean> delete(String id) {
        return update(id, job -> {
            job.delete();
            return true;
        }).map(Optional::isPresent);
    }

    /**
     * Deletes a job whose row cannot be read ({@link UnreadableJobException}), which {@link #update} cannot load: the
     * operator's way out besides repairing the row. Deletes the row, runs {@code also} (the audit entry) and stores the
     * job's tombstone, in one transaction, as {@link #delete} does for a job that can be read; then waits for the
     * tombstone to be published.
     *
     * @return false when there is no such job (any more)
     */
    public Uni<Boolean> deleteUnreadable(String id, Function<SqlConnection, Uni<Void>> also) {
        return pool.withTransaction(tx -> tx.preparedQuery("DELETE FROM job WHERE id=$1").execute(Tuple.of(id))
                .chain(rs -> rs.rowCount() == 0
                        ? Uni.createFrom().item(-1L)
                        : also.apply(tx).chain(() -> outbox.append(tx, List.of(new JobEvent.Deleted(id))))))
                .chain(last -> {
                    if (last < 0) {
                        return Uni.createFrom().item(false);
                    }
                    configs.forget(id);
                    unreadableLogged.remove(id);
                    return outbox.published(last, PUBLISH_WAIT).replaceWith(true);
                });
    }

    /** Writes a changed job's row (or deletes it) and its events; the id of the last event, 0 when none. */
    private Uni<Long> save(SqlConnection tx, ProvisioningJob job) {
        if (!job.changed()) {
            return Uni.createFrom().item(0L);
        }
        Uni<RowSet<Row>> row;
        if (job.deleted()) {
            row = tx.preparedQuery("DELETE FROM job WHERE id=$1 AND revision=$2")
                    .execute(Tuple.of(job.id(), job.revision()));
        } else {
            ProvisioningJob.Stored s = job.stored();
            JobConfig c = s.config();
            Optional<Quarantine> q = Optional.ofNullable(s.quarantine());
            Tuple values = Tuple.tuple(List.of()).addValue(s.id()).addValue(s.revision()).addValue(c.name())
                    .addValue(c.state().name()).addValue(Json.write(c)).addValue(time(s.nextCycleAt()))
                    .addValue(s.fullCycleRequested())
                    .addValue(time(s.cycleClaimedAt())).addValue(s.lastError()).addValue(s.deletionThreshold().count())
                    .addValue(time(s.tokenSetAt())).addValue(time(s.tokenExpiryWarned()))
                    .addValue(q.map(x -> x.reason().name()).orElse(null))
                    .addValue(q.map(Quarantine::detail).orElse(null))
                    .addValue(time(q.map(Quarantine::since).orElse(null))).addValue(q.map(Quarantine::key).orElse(null))
                    .addValue(time(s.quarantineLiftedAt())).addValue(s.deletionThreshold().percent())
                    .addValue(s.cycleRequests()).addValue(s.fullCycleRequest()).addValue(s.cycleClaim())
                    .addValue(s.failedCycles());
            // cycle_claimed_at is written only when the claim is released or changed: the running cycle's heartbeat
            // renews it without a new revision, and a save must not move it back
            row = tx.preparedQuery("UPDATE job SET revision=$2+1, name=$3, state=$4, config=$5, next_cycle_at=$6, "
                    + "full_cycle_requested=$7, cycle_claimed_at=CASE WHEN cycle_claim IS NOT DISTINCT FROM $21 "
                    + "THEN cycle_claimed_at ELSE $8 END, last_error=$9, deletion_threshold=$10, "
                    + "token_set_at=$11, token_expiry_warned=$12, quarantine_reason=$13, quarantine_detail=$14, "
                    + "quarantined_since=$15, quarantine_key=$16, quarantine_lifted_at=$17, "
                    + "deletion_threshold_percent=$18, cycle_requests=$19, full_cycle_request=$20, cycle_claim=$21, "
                    + "failed_cycles=$22, updated_at=now() WHERE id=$1 AND revision=$2").execute(values);
        }
        return row.chain(rs -> {
            if (rs.rowCount() != 1) {
                return Uni.createFrom().failure(new ConcurrentChange(job.id()));
            }
            if (job.deleted()) {
                configs.forget(job.id());
            }
            return outbox.append(tx, job.events());
        });
    }

    /**
     * Claims up to {@code limit} jobs whose cycle is due and not running elsewhere
     * ({@link ProvisioningJob#claimable}: provisioning on or quarantined, due, no live claim), and whose configuration
     * is published: a cycle's events never reach the other services before the configuration they were made with.
     * Each claim gets a token of its own ({@link ProvisioningJob#claim()}).
     *
     * <p>
     * One job never holds up the others' claims: a job whose row another session holds is passed over
     * ({@code FOR UPDATE SKIP LOCKED}; claimed at a later tick, once free), and a claimed job whose row cannot be read
     * is left out of the answer (logged and counted, {@code provisioning.detector.jobs.unreadable}), its claim kept
     * (tried again after {@code lease}); before, it failed the whole claim, and the jobs claimed with it waited for
     * their lease.
     *
     * <p>
     * The database bounds the claim's lock waits too, not only the caller its wait for the answer
     * ({@code detector.claim-wait}): the claim's transaction sets {@code lock_timeout} to
     * {@value #CLAIM_BOUND_FIFTHS}/5 of {@code wait}. A lock that {@code SKIP LOCKED} cannot pass over (the
     * {@code job} table's, held by a stuck session: a {@code CREATE INDEX} or {@code LOCK TABLE} left in an open
     * transaction) used to keep the claim waiting in the database after its caller gave up: each later look left one
     * more pool connection waiting, until none was left for the API or the cycles, and a claim that got the lock in the
     * end committed for nobody (its jobs waited for the lease). Now the database gives up first (SQLSTATE
     * {@code 55P03}, lock_not_available), its connection is free again and the failure reaches the caller, which
     * counts it as a failed look.
     *
     * @param lease how old a claim must be to be taken over (its replica died)
     * @param limit the most jobs claimed
     * @param wait how long the caller waits for the answer ({@code detector.claim-wait})
     * @return the claimed jobs that could be read, at most {@code limit}
     */
    public Uni<List<ProvisioningJob>> claimDue(Duration lease, int limit, Duration wait) {
        String bound = Math.max(1, wait.toMillis() * CLAIM_BOUND_FIFTHS / 5) + "ms";
        return pool.withTransaction(tx -> tx.preparedQuery("SELECT set_config('lock_timeout', $1, true)")
                .execute(Tuple.of(bound))
                .chain(() -> tx.preparedQuery("UPDATE job SET cycle_claimed_at = now(), "
                        + "cycle_claim = gen_random_uuid()::text, revision = revision + 1 WHERE id IN ("
                        + "SELECT id FROM job WHERE state IN ('ACTIVE', 'QUARANTINED') AND next_cycle_at <= now() "
                        + "AND (cycle_claimed_at IS NULL OR cycle_claimed_at < now() - make_interval(secs => $1)) "
                        + "AND NOT EXISTS (SELECT 1 FROM job_outbox o WHERE o.job_id = job.id AND o.sent_at IS NULL "
                        + "AND o.kind = '" + Outbox.Kind.JOB_CONFIG.name() + "') "
                        + "ORDER BY next_cycle_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING " + COLUMNS)
                        .execute(Tuple.of(lease.toMillis() / 1000.0, limit))))
                // a claimed job whose row cannot be read is left out (logged and counted), its claim kept until its
                // lease passes
                .map(rs -> split(rs).readable());
    }

    /**
     * The heartbeat of a running cycle: renews the claim's time, without a new revision (nothing else of the job
     * changes).
     *
     * @return false when the claim is no longer this one's (another replica took it over, or the job was deleted)
     */
    public Uni<Boolean> renewClaim(String jobId, String token) {
        return pool.preparedQuery("UPDATE job SET cycle_claimed_at = now() WHERE id=$1 AND cycle_claim=$2")
                .execute(Tuple.of(jobId, token)).map(rs -> rs.rowCount() == 1);
    }

    /** Ids of the jobs whose token was set before {@code setBefore} and whose expiry was not announced for it. */
    public Uni<List<String>> tokensExpiring(Instant setBefore) {
        return pool.preparedQuery("SELECT id FROM job WHERE token_set_at < $1 "
                + "AND token_expiry_warned IS DISTINCT FROM token_set_at").execute(Tuple.of(time(setBefore)))
                .map(rs -> {
                    List<String> ids = new ArrayList<>();
                    rs.forEach(r -> ids.add(r.getString(0)));
                    return ids;
                });
    }

    /**
     * The jobs of the rows, in their order, split into those that can be read and those that cannot (each logged and
     * counted by {@link #read(Row)}): the one loop of every read of several job rows (the list, a claim).
     */
    private Listed split(RowSet<Row> rs) {
        List<ProvisioningJob> readable = new ArrayList<>();
        List<UnreadableJob> unreadable = new ArrayList<>();
        for (Row r : rs) {
            Read read = read(r);
            if (read.job() != null) {
                readable.add(read.job());
            } else {
                unreadable.add(read.unreadable());
            }
        }
        return new Listed(List.copyOf(readable), List.copyOf(unreadable));
    }

    /**
     * A job row as read: the job, or what can be shown of a row that cannot be read and why.
     *
     * @param job null when the row cannot be read
     * @param unreadable null when it can
     * @param failure what the reading threw, null when it could be read
     */
    private record Read(ProvisioningJob job, UnreadableJob unreadable, RuntimeException failure) {
    }

    /**
     * The one mapping of a job row, for every read of job rows (a job, the list, a claim). Its configuration is parsed
     * only when its text changed ({@link ParsedConfigs}). Each part of the row is read on its own (the configuration,
     * the quarantine reason, the deletion threshold, then the rest of the row), so a row that cannot be read names
     * every part at fault, not only the first. Such a row is an error, logged (ERROR the first time its faults are
     * seen, DEBUG while they stay the same) and counted at every read ({@code provisioning.detector.jobs.unreadable}),
     * never a job with defaults: it is answered as an {@link UnreadableJob}, which names the fields and never a stored
     * value.
     */
    private Read read(Row r) {
        String id = r.getString("id");
        Faults faults = null;
        JobConfig config = null;
        try {
            config = configs.config(id, r.getString("config"));
        } catch (RuntimeException e) {
            faults = Faults.add(null, "config", e);
        }
        if (config != null && !id.equals(config.jobId())) {
            faults = Faults.add(null, "config.jobId",
                    new IllegalStateException("it names another job (" + config.jobId() + ")"));
            config = null;
        }
        Quarantine quarantine = null;
        try {
            quarantine = quarantine(r);
        } catch (RuntimeException e) {
            faults = Faults.add(faults, UnreadableJob.QUARANTINE_REASON, e);
        }
        DeletionThreshold threshold = null;
        try {
            threshold = threshold(r, null, null);
        } catch (RuntimeException e) {
            faults = Faults.add(faults, UnreadableJob.DELETION_THRESHOLD, e);
        }
        ProvisioningJob job = null;
        try {
            ProvisioningJob.Stored stored = stored(r, config, quarantine, threshold, r.getString("cycle_claim"),
                    instant(r, "cycle_claimed_at"));
            if (faults == null) {
                job = ProvisioningJob.restore(stored);
            }
        } catch (RuntimeException e) {
            faults = Faults.add(faults, UnreadableJob.ROW, e);
        }
        if (faults == null) {
            if (!unreadableLogged.isEmpty()) {
                unreadableLogged.remove(id);
            }
            return new Read(job, null, null);
        }
        UnreadableJob unreadable = new UnreadableJob(id, r.getString("name"), r.getString("state"), faults.list,
                config, threshold);
        registry.counter(DetectorMeters.JOBS_UNREADABLE).increment();
        String described = unreadable.describe();
        if (!described.equals(unreadableLogged.put(id, described))) {
            if (unreadableLogged.size() > ParsedConfigs.MAX_JOBS) {
                unreadableLogged.clear();
            }
            LOG.errorf("%s: the job is left out of cycles and shown as unreadable until its row is repaired "
                    + "(PUT /jobs/%s with its whole configuration) or the job deleted (logged again when its faults "
                    + "change)", described, id);
        } else {
            LOG.debugf("%s", described);
        }
        return new Read(null, unreadable, faults.first);
    }

    /**
     * The faults of one row, in the order they are met, and the first failure (the cause of
     * {@link UnreadableJobException}; not given the others as suppressed: a parser may throw the same instance at every
     * read). Made at the first fault only: a readable row makes none.
     */
    private static final class Faults {

        final List<UnreadableJob.Fault> list = new ArrayList<>(4);
        RuntimeException first;

        /** {@code faults} (a new one when null) with the fault of {@code failure} to read {@code field} added. */
        static Faults add(Faults faults, String field, RuntimeException failure) {
            Faults f = faults == null ? new Faults() : faults;
            f.list.add(UnreadableJob.fault(field, failure));
            if (f.first == null) {
                f.first = failure;
            }
            return f;
        }
    }

    /**
     * The row's quarantine, or null when it has none.
     *
     * @throws IllegalArgumentException when its reason is not one this version knows
     */
    private static Quarantine quarantine(Row r) {
        String reason = r.getString("quarantine_reason");
        return reason == null
                ? null
                : new Quarantine(QuarantineReason.valueOf(reason), r.getString("quarantine_detail"),
                        instant(r, "quarantined_since"), r.getString("quarantine_key"));
    }

    /**
     * The row's deletion threshold, each of its two values replaced by the one given when not null (a repair's).
     *
     * @throws IllegalArgumentException when a value is out of range ({@link DeletionThreshold})
     */
    private static DeletionThreshold threshold(Row r, Integer count, Integer percent) {
        return new DeletionThreshold(count != null ? count : r.getInteger("deletion_threshold"),
                percent != null ? percent : r.getInteger("deletion_threshold_percent"));
    }

    /**
     * The job of a row, with the given configuration, quarantine, deletion threshold and claim (the row's own, or a
     * repair's).
     */
    private static ProvisioningJob restore(Row r, JobConfig config, Quarantine quarantine,
            DeletionThreshold threshold, String cycleClaim, Instant cycleClaimedAt) {
        return ProvisioningJob.restore(stored(r, config, quarantine, threshold, cycleClaim, cycleClaimedAt));
    }

    /**
     * What the store keeps of a job, from its row, with the given configuration, quarantine, deletion threshold and
     * claim: reads every other column (the schedule, counts, token age), which is where a fault of the row lies.
     */
    private static ProvisioningJob.Stored stored(Row r, JobConfig config, Quarantine quarantine,
            DeletionThreshold threshold, String cycleClaim, Instant cycleClaimedAt) {
        return new ProvisioningJob.Stored(r.getString("id"), config, r.getLong("revision"),
                instant(r, "created_at"), threshold, instant(r, "token_set_at"), instant(r, "token_expiry_warned"),
                quarantine, instant(r, "quarantine_lifted_at"), instant(r, "next_cycle_at"),
                r.getBoolean("full_cycle_requested"), cycleClaimedAt, r.getString("last_error"),
                r.getLong("cycle_requests"), r.getLong("full_cycle_request"), cycleClaim,
                r.getInteger("failed_cycles"));
    }

    static Instant instant(Row r, String column) {
        OffsetDateTime t = r.getOffsetDateTime(column);
        return t == null ? null : t.toInstant();
    }

    static OffsetDateTime time(Instant t) {
        return t == null ? null : OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
    }
}
