package dev.provisioning.detector.persistence;

import java.time.OffsetDateTime;

import io.vertx.mutiny.sqlclient.Row;

/**
 * A row of the {@code job} table. {@code config} is the JobConfig JSON, with its secret encrypted.
 *
 * @param deletionThreshold disables + deletes allowed per cycle before they are held; 0 means off
 * @param tokenSetAt when the secret token was last set
 * @param tokenExpiryWarned the {@code tokenSetAt} for which the expiry warning was published
 * @param quarantineReason Entra's reason code while quarantined, else null
 * @param quarantineKey what makes the quarantine's event ids stable: {@code <reason>/<cycleId>}
 * @param quarantineLiftedAt when the last quarantine was lifted, else null: results of cycles that started before it
 *        do not quarantine the job again
 */
public record JobRow(String id, String name, String state, String config, long revision, OffsetDateTime nextCycleAt,
        boolean fullCycleRequested, OffsetDateTime cycleClaimedAt, String lastError, OffsetDateTime createdAt,
        OffsetDateTime updatedAt, int deletionThreshold, OffsetDateTime tokenSetAt, OffsetDateTime tokenExpiryWarned,
        String quarantineReason, String quarantineDetail, OffsetDateTime quarantinedSince, String quarantineKey,
        OffsetDateTime quarantineLiftedAt) {

    static final String COLUMNS = "id, name, state, config, revision, next_cycle_at, full_cycle_requested, "
            + "cycle_claimed_at, last_error, created_at, updated_at, deletion_threshold, token_set_at, "
            + "token_expiry_warned, quarantine_reason, quarantine_detail, quarantined_since, quarantine_key, "
            + "quarantine_lifted_at";

    /** A new job's row. */
    public static JobRow created(String id, String name, String state, String config, OffsetDateTime nextCycleAt,
            int deletionThreshold, OffsetDateTime now) {
        return new JobRow(id, name, state, config, 1, nextCycleAt, true, null, null, now, now, deletionThreshold, now,
                null, null, null, null, null, null);
    }

    public boolean quarantined() {
        return quarantineReason != null;
    }

    static JobRow of(Row r) {
        return new JobRow(r.getString("id"), r.getString("name"), r.getString("state"), r.getString("config"),
                r.getLong("revision"), r.getOffsetDateTime("next_cycle_at"), r.getBoolean("full_cycle_requested"),
                r.getOffsetDateTime("cycle_claimed_at"), r.getString("last_error"), r.getOffsetDateTime("created_at"),
                r.getOffsetDateTime("updated_at"), r.getInteger("deletion_threshold"),
                r.getOffsetDateTime("token_set_at"), r.getOffsetDateTime("token_expiry_warned"),
                r.getString("quarantine_reason"), r.getString("quarantine_detail"),
                r.getOffsetDateTime("quarantined_since"), r.getString("quarantine_key"),
                r.getOffsetDateTime("quarantine_lifted_at"));
    }
}
