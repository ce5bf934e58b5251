package dev.provisioning.writer.provisioning;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnore;

import dev.provisioning.events.ModifiedProperty;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.writer.persistence.WriterStore;
import dev.provisioning.writer.scim.client.ScimAnswer;

/**
 * What happened to one object: the body of its {@code ProvisioningResult}.
 *
 * @param idMapChange the id-map write the operation ends with, not yet written: the writer writes it in one statement
 *        with the operation's processed row ({@link WriterStore#markProcessed(String, String, String, String,
 *        WriterStore.IdMapChange)}); null when there is none. Not part of the outcome's JSON.
 */
public record Outcome(ProvisioningAction action, ProvisioningStatus status, String targetId, String errorCode,
        String reason, Integer httpStatus, int attempts, List<ModifiedProperty> modified,
        @JsonIgnore WriterStore.IdMapChange idMapChange) {

    /** An outcome without an id-map change. */
    public Outcome(ProvisioningAction action, ProvisioningStatus status, String targetId, String errorCode,
            String reason, Integer httpStatus, int attempts, List<ModifiedProperty> modified) {
        this(action, status, targetId, errorCode, reason, httpStatus, attempts, modified, null);
    }

    /** This outcome, ending with {@code change} in the id map (written with the operation's processed row). */
    public Outcome endingWith(WriterStore.IdMapChange change) {
        return new Outcome(action, status, targetId, errorCode, reason, httpStatus, attempts, modified, change);
    }

    public static Outcome success(ProvisioningAction action, String targetId, ScimAnswer answer,
            List<ModifiedProperty> modified) {
        return new Outcome(action, ProvisioningStatus.Success, targetId, null, null, answer.status(),
                answer.attempts(), modified);
    }

    public static Outcome skipped(ProvisioningAction action, String targetId, String errorCode, String reason) {
        return new Outcome(action, ProvisioningStatus.Skipped, targetId, errorCode, reason, null, 0, List.of());
    }

    public static Outcome failure(ProvisioningAction action, String targetId, String errorCode, String reason,
            ScimAnswer answer) {
        return new Outcome(action, ProvisioningStatus.Failure, targetId, errorCode, reason,
                answer == null || answer.status() == 0 ? null : answer.status(),
                answer == null ? 0 : answer.attempts(), List.of());
    }
}
