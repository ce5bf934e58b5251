package dev.provisioning.writer.persistence;

import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;

import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.type.TypeReference;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.events.Json;
import dev.provisioning.writer.config.WriterMeters;

/**
 * The writer's state in PostgreSQL: the id map and the processed operations. Every method is one short reactive
 * transaction; none is held open while Druva is being called. Must be called on a Vert.x context.
 *
 * <p>
 * Each id-map row remembers the operation that last changed it and, once that operation is complete, its outcome
 * ({@link Mark}), written in the same statement as the change. A redelivered operation whose result was lost in a
 * crash finds its own mark and reports what it really did. A create is marked before it is sent (a row without a
 * Druva id), so a create that reached Druva just before a crash is recognised as this operation's when it is matched
 * again. A delete leaves a tombstone with its mark.
 */
@ApplicationScoped
public class WriterStore {

    private static final Logger LOG = Logger.getLogger(WriterStore.class);
    private static final TypeReference<Map<String, Object>> STATE = new TypeReference<>() {
    };

    private static final String TARGET_IDS = "SELECT source_id, target_id FROM id_map WHERE id = ANY($1) "
            + "AND target_id IS NOT NULL AND NOT deleted";

    private final MeterRegistry registry;
    private final Pool pool;

    public WriterStore(MeterRegistry registry, Pool pool) {
        this.registry = registry;
        this.pool = pool;
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
     * @param outcome null while the operation is still in progress
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

    public Uni<Optional<Entry>> findEntry(String jobId, String objectType, String sourceId) {
        return Panache.withSession(() -> IdMapEntry.<IdMapEntry>findById(IdMapEntry.idOf(jobId, objectType, sourceId)))
                .map(entry -> Optional.ofNullable(entry).map(this::entryOf));
    }

    /** The link of a managed object (not a create in flight, not a tombstone). */
    public Uni<Optional<Link>> findLink(String jobId, String objectType, String sourceId) {
        return findEntry(jobId, objectType, sourceId).map(entry -> entry.flatMap(Entry::live));
    }

    /**
     * Creates or replaces the link of a source object, with the operation's mark.
     *
     * @param cycleId the operation's cycle: recorded as the object's first cycle when it was not managed before
     */
    public Uni<Void> saveLink(String jobId, String objectType, String sourceId, Link link, String cycleId, Mark mark) {
        return upsert(jobId, objectType, sourceId, cycleId, entry -> {
            entry.targetId = link.targetId();
            entry.targetState = Json.write(link.state());
            entry.deleted = false;
            entry.operationId = mark.operationId();
            entry.outcome = mark.outcome();
        });
    }

    /**
     * Records, before it is sent, that this operation creates the object (a row without a Druva id), unless the object
     * is managed.
     */
    public Uni<Void> markCreateSent(String jobId, String objectType, String sourceId, String cycleId,
            String operationId) {
        return upsert(jobId, objectType, sourceId, cycleId, entry -> {
            if (entry.targetId == null || entry.deleted) {
                entry.targetId = null;
                entry.targetState = "{}";
                entry.deleted = false;
                entry.operationId = operationId;
                entry.outcome = null;
            }
        });
    }

    /** Forgets a create this operation sent that did not create anything (it failed). */
    public Uni<Void> forgetCreate(String jobId, String objectType, String sourceId, String operationId) {
        return Panache.withTransaction(() -> IdMapEntry.delete("id = ?1 and targetId is null and operationId = ?2",
                IdMapEntry.idOf(jobId, objectType, sourceId), operationId)).replaceWithVoid();
    }

    /** Records the outcome of the operation that last changed the row (when it completed after its last change). */
    public Uni<Void> markOutcome(String jobId, String objectType, String sourceId, Mark mark) {
        return Panache.withTransaction(() -> IdMapEntry.update("operationId = ?1, outcome = ?2 where id = ?3",
                mark.operationId(), mark.outcome(), IdMapEntry.idOf(jobId, objectType, sourceId))).replaceWithVoid();
    }

    /** The object is no longer managed (deleted in Druva, or gone there): a tombstone with the operation's mark. */
    public Uni<Void> removeLink(String jobId, String objectType, String sourceId, Mark mark) {
        return Panache.withTransaction(() -> IdMapEntry.update("deleted = true, targetState = '{}', operationId = ?1, "
                + "outcome = ?2, updatedAt = ?3 where id = ?4", mark.operationId(), mark.outcome(), Instant.now(),
                IdMapEntry.idOf(jobId, objectType, sourceId))).replaceWithVoid();
    }

    /** The Druva ids of those source objects that are managed, by source id. */
    public Uni<Map<String, String>> targetIds(String jobId, String objectType, Collection<String> sourceIds) {
        if (sourceIds.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        // two columns through the reactive pool, one array parameter: a 50,000-member group must not load 50,000
        // entities with their parsed state (the writer ran out of heap on the 100,000-user benchmark)
        String[] ids = sourceIds.stream().map(s -> IdMapEntry.idOf(jobId, objectType, s)).distinct()
                .toArray(String[]::new);
        return pool.preparedQuery(TARGET_IDS).execute(Tuple.of(ids)).map(rows -> {
            Map<String, String> out = new HashMap<>(rows.size() * 2);
            rows.forEach(row -> out.put(row.getString(0), row.getString(1)));
            return out;
        });
    }

    /**
     * Whether the job manages an object of that type that was first linked in another cycle than {@code cycleId} (or
     * before first cycles were recorded): if not, {@code cycleId} is the job's initial cycle for that type.
     */
    public Uni<Boolean> hasLinksBefore(String jobId, String objectType, String cycleId) {
        return Panache.withSession(() -> IdMapEntry.count("jobId = ?1 and objectType = ?2 and targetId is not null "
                + "and deleted = false and (firstCycleId is null or firstCycleId <> ?3)", jobId, objectType, cycleId))
                .map(count -> count > 0);
    }

    /** The result emitted for an operation already carried out, if any. */
    public Uni<Optional<String>> processedResult(String resultId) {
        return Panache.withSession(() -> ProcessedOperation.<ProcessedOperation>findById(resultId))
                .map(p -> Optional.ofNullable(p).map(op -> op.resultJson));
    }

    /** Records that an operation was carried out, with its result (kept if it was already recorded). */
    public Uni<Void> markProcessed(String resultId, String jobId, String operationId, String resultJson) {
        return Panache
                .withTransaction(() -> ProcessedOperation.<ProcessedOperation>findById(resultId).flatMap(found -> {
                    if (found != null) {
                        return Uni.createFrom().voidItem();
                    }
                    ProcessedOperation p = new ProcessedOperation();
                    p.resultId = resultId;
                    p.jobId = jobId;
                    p.operationId = operationId;
                    p.resultJson = resultJson;
                    p.processedAt = Instant.now();
                    return p.persist().replaceWithVoid();
                }));
    }

    private Uni<Void> upsert(String jobId, String objectType, String sourceId, String cycleId,
            java.util.function.Consumer<IdMapEntry> change) {
        String id = IdMapEntry.idOf(jobId, objectType, sourceId);
        return Panache.withTransaction(() -> IdMapEntry.<IdMapEntry>findById(id).flatMap(found -> {
            IdMapEntry entry = found == null ? new IdMapEntry() : found;
            boolean wasManaged = found != null && found.targetId != null && !found.deleted;
            boolean wasPending = found != null && found.targetId == null && !found.deleted;
            entry.id = id;
            entry.jobId = jobId;
            entry.objectType = objectType;
            entry.sourceId = sourceId;
            if (found == null || entry.targetState == null) {
                entry.targetState = "{}";
            }
            if (!wasManaged && !wasPending) {
                entry.firstCycleId = cycleId;
            }
            change.accept(entry);
            entry.updatedAt = Instant.now();
            return entry.persist();
        })).replaceWithVoid();
    }

    private Entry entryOf(IdMapEntry e) {
        Map<String, Object> state = readState(e);
        return new Entry(e.targetId, state == null ? Map.of() : state, state != null, e.deleted, e.operationId,
                e.outcome);
    }

    /**
     * The stored attributes, or null when they cannot be decoded: an error that is logged and counted
     * ({@code scim.writer.state.unreadable}), never taken for an empty state (which would make the next request wrong).
     */
    private Map<String, Object> readState(IdMapEntry e) {
        try {
            Map<String, Object> state = Json.mapper().readValue(e.targetState, STATE);
            if (state == null) {
                throw new IllegalArgumentException("the stored state is JSON null");
            }
            return state;
        } catch (Exception failure) {
            LOG.errorf("id map row %s (Druva id %s): the stored Druva state cannot be read (%s); the object is read "
                    + "from Druva again", e.id, e.targetId, failure.getMessage());
            registry.counter(WriterMeters.STATE_UNREADABLE, PROVISIONING_JOB, e.jobId, "type", e.objectType)
                    .increment();
            return null;
        }
    }
}
