package dev.provisioning.writer.persistence;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.type.TypeReference;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

import dev.provisioning.events.Json;

/**
 * The writer's state in PostgreSQL: the id map and the processed operations. Every method is one short reactive
 * transaction; none is held open while Druva is being called. Must be called on a Vert.x context.
 */
@ApplicationScoped
public class WriterStore {

    private static final TypeReference<Map<String, Object>> STATE = new TypeReference<>() {
    };

    /** A managed object: its Druva id and the attributes Druva is known to hold. */
    public record Link(String targetId, Map<String, Object> state) {
    }

    public Uni<Optional<Link>> findLink(String jobId, String objectType, String sourceId) {
        return Panache.withSession(() -> IdMapEntry.<IdMapEntry>findById(IdMapEntry.idOf(jobId, objectType, sourceId)))
                .map(entry -> Optional.ofNullable(entry).map(e -> new Link(e.targetId, readState(e.targetState))));
    }

    /** Creates or replaces the link of a source object. */
    public Uni<Void> saveLink(String jobId, String objectType, String sourceId, Link link) {
        String id = IdMapEntry.idOf(jobId, objectType, sourceId);
        return Panache.withTransaction(() -> IdMapEntry.<IdMapEntry>findById(id).flatMap(found -> {
            IdMapEntry entry = found == null ? new IdMapEntry() : found;
            entry.id = id;
            entry.jobId = jobId;
            entry.objectType = objectType;
            entry.sourceId = sourceId;
            entry.targetId = link.targetId();
            entry.targetState = Json.write(link.state());
            entry.updatedAt = Instant.now();
            return entry.persist();
        })).replaceWithVoid();
    }

    /** The Druva ids of those source objects that are linked, by source id. */
    public Uni<Map<String, String>> targetIds(String jobId, String objectType, java.util.Collection<String> sourceIds) {
        if (sourceIds.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        List<String> ids = sourceIds.stream().map(s -> IdMapEntry.idOf(jobId, objectType, s)).toList();
        return Panache.withSession(() -> IdMapEntry.<IdMapEntry>list("id in ?1", ids)).map(entries -> {
            Map<String, String> out = new java.util.HashMap<>();
            entries.forEach(e -> out.put(e.sourceId, e.targetId));
            return out;
        });
    }

    /** Whether the job has any linked object of that type. */
    public Uni<Boolean> hasLinks(String jobId, String objectType) {
        return Panache.withSession(() -> IdMapEntry.count("jobId = ?1 and objectType = ?2", jobId, objectType))
                .map(count -> count > 0);
    }

    public Uni<Void> removeLink(String jobId, String objectType, String sourceId) {
        return Panache.withTransaction(() -> IdMapEntry.deleteById(IdMapEntry.idOf(jobId, objectType, sourceId)))
                .replaceWithVoid();
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

    private static Map<String, Object> readState(String json) {
        try {
            return Json.mapper().readValue(json, STATE);
        } catch (Exception e) {
            return Map.of();
        }
    }
}
