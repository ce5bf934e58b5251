package dev.provisioning.writer.provisioning;

import java.util.List;

import dev.provisioning.events.ModifiedProperty;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.writer.scim.client.ScimAnswer;

/** What happened to one object: the body of its {@code ProvisioningResult}. */
public record Outcome(ProvisioningAction action, ProvisioningStatus status, String targetId, String errorCode,
        String reason, Integer httpStatus, int attempts, List<ModifiedProperty> modified) {

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
