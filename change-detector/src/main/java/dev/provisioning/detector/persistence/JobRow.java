package dev.provisioning.detector.persistence;

import java.time.OffsetDateTime;

import io.vertx.mutiny.sqlclient.Row;

/** A row of the {@code job} table. {@code config} is the JobConfig JSON, with its secret encrypted. */
public record JobRow(String id, String name, String state, String config, long revision, OffsetDateTime nextCycleAt,
        boolean fullCycleRequested, OffsetDateTime cycleClaimedAt, String lastError, OffsetDateTime createdAt,
        OffsetDateTime updatedAt) {

    static final String COLUMNS = "id, name, state, config, revision, next_cycle_at, full_cycle_requested, "
            + "cycle_claimed_at, last_error, created_at, updated_at";

    static JobRow of(Row r) {
        return new JobRow(r.getString("id"), r.getString("name"), r.getString("state"), r.getString("config"),
                r.getLong("revision"), r.getOffsetDateTime("next_cycle_at"), r.getBoolean("full_cycle_requested"),
                r.getOffsetDateTime("cycle_claimed_at"), r.getString("last_error"), r.getOffsetDateTime("created_at"),
                r.getOffsetDateTime("updated_at"));
    }
}
