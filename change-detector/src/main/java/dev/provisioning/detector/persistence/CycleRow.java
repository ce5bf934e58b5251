package dev.provisioning.detector.persistence;

import java.time.OffsetDateTime;

import io.vertx.mutiny.sqlclient.Row;

/** A row of the {@code cycle} table. Status: RUNNING (emitting), EMITTED (waiting for results), FAILED. */
public record CycleRow(String id, String jobId, boolean fullCycle, String status, OffsetDateTime startedAt,
        OffsetDateTime emittedAt, int eventsEmitted, String error) {

    static CycleRow of(Row r) {
        return new CycleRow(r.getString("id"), r.getString("job_id"), r.getBoolean("full_cycle"), r.getString("status"),
                r.getOffsetDateTime("started_at"), r.getOffsetDateTime("emitted_at"), r.getInteger("events_emitted"),
                r.getString("error"));
    }
}
