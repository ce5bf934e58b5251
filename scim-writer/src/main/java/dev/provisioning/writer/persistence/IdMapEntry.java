package dev.provisioning.writer.persistence;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

/**
 * One managed target object: the source object id, its Druva id and the attributes Druva is known to hold (a JSON
 * object of SCIM paths), per job, with the operation that last changed it and that operation's outcome. Table
 * {@code id_map}. A row without a Druva id is a create that was sent and not answered yet; a deleted row is a
 * tombstone (the object is no longer managed).
 */
@Entity
@Table(name = "id_map")
public class IdMapEntry extends PanacheEntityBase {

    /** {@code jobId/objectType/sourceId}. */
    @Id
    public String id;

    @Column(name = "job_id", nullable = false)
    public String jobId;

    @Column(name = "object_type", nullable = false)
    public String objectType;

    @Column(name = "source_id", nullable = false)
    public String sourceId;

    @Column(name = "target_id")
    public String targetId;

    @Column(name = "target_state", nullable = false)
    public String targetState;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    /** The operation that last changed the row. */
    @Column(name = "operation_id")
    public String operationId;

    /** That operation's outcome (JSON), once it is complete; null while it is in progress. */
    @Column(name = "outcome")
    public String outcome;

    /** The cycle in which the object was first linked (null for rows older than the column: an earlier cycle). */
    @Column(name = "first_cycle_id")
    public String firstCycleId;

    @Column(name = "deleted", nullable = false)
    public boolean deleted;

    public static String idOf(String jobId, String objectType, String sourceId) {
        return jobId + "/" + objectType + "/" + sourceId;
    }
}
