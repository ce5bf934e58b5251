package dev.provisioning.mapper.engine;

import java.time.Instant;
import java.util.List;

import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.OperationKind;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.mapping.Decision;

/**
 * Turns the engine's decision for one assignment event into what the mapper emits: a SCIM operation for the writer,
 * or a Skipped/Failure result when nothing can or should be sent. Plain Java.
 *
 * <p>
 * Disable and delete decisions always go to the writer, which alone knows whether the user is managed in Druva; it
 * answers Skipped with the decision's reason when it is not.
 */
public final class OperationPlanner {

    public static final String REPORTER = "mapper-service";

    private OperationPlanner() {
    }

    /** Either an operation or a result, never both. */
    public record Outcome(ScimOperation operation, ProvisioningResult result) {
    }

    public static Outcome plan(AssignmentEvent event, Decision decision, Instant now) {
        if (decision instanceof Decision.Upsert u) {
            return new Outcome(operation(event, OperationKind.UPSERT, u.attributes(), u.createOnlyAttributes(),
                    u.matching(), null, null, now), null);
        }
        if (decision instanceof Decision.Disable d) {
            return new Outcome(
                    operation(event, OperationKind.DISABLE, null, null, null, d.reasonCode(), d.reason(), now),
                    null);
        }
        if (decision instanceof Decision.Delete d) {
            return new Outcome(operation(event, OperationKind.DELETE, null, null, null, "Deleted", d.reason(), now),
                    null);
        }
        if (decision instanceof Decision.Skip s) {
            return new Outcome(null, result(event, ProvisioningStatus.Skipped, s.reasonCode(), s.reason(), now));
        }
        Decision.Fail f = (Decision.Fail) decision;
        return new Outcome(null, result(event, ProvisioningStatus.Failure, f.errorCode(), f.reason(), now));
    }

    /** A result for an event the mapper answers itself. */
    public static ProvisioningResult result(AssignmentEvent event, ProvisioningStatus status, String code,
            String reason,
            Instant now) {
        return new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION,
                ProvisioningResult.idOf(event.jobId(), event.objectId(), event.cycleId(), event.eventId()),
                event.jobId(),
                event.cycleId(), event.eventId(), event.objectType(), event.objectId(), null, event.displayName(),
                ProvisioningAction.Other, status, code, reason, null, 0, 0, List.of(), REPORTER, now);
    }

    private static ScimOperation operation(AssignmentEvent event, OperationKind kind,
            java.util.Map<String, Object> attributes,
            java.util.Map<String, Object> createOnly, List<dev.provisioning.events.MatchingAttribute> matching,
            String reasonCode, String reason, Instant now) {
        return new ScimOperation(ScimOperation.SCHEMA_VERSION, event.eventId(), event.jobId(), event.cycleId(),
                event.objectType(), event.objectId(), event.displayName(), kind, attributes, createOnly, matching,
                event.members(), reasonCode, reason, now);
    }
}
