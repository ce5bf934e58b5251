package dev.provisioning.writer.persistence;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

/**
 * An operation that was carried out, with the result emitted for it. Table {@code processed_operation}.
 */
@Entity
@Table(name = "processed_operation")
public class ProcessedOperation extends PanacheEntityBase {

    /** {@code ProvisioningResult.idOf(job, object, cycle, operation)}. */
    @Id
    @Column(name = "result_id")
    public String resultId;

    @Column(name = "job_id", nullable = false)
    public String jobId;

    @Column(name = "operation_id", nullable = false)
    public String operationId;

    @Column(name = "result_json", nullable = false)
    public String resultJson;

    @Column(name = "processed_at", nullable = false)
    public Instant processedAt;
}
