package dev.provisioning.writer.persistence;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

/**
 * One managed target object: the source object id, its Druva id and the attributes Druva is known to hold (a JSON
 * object of SCIM paths), per job. Table {@code id_map}.
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

    @Column(name = "target_id", nullable = false)
    public String targetId;

    @Column(name = "target_state", nullable = false)
    public String targetState;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    public static String idOf(String jobId, String objectType, String sourceId) {
        return jobId + "/" + objectType + "/" + sourceId;
    }
}
