package dev.provisioning.mapping;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.MatchingAttribute;
import dev.provisioning.events.OperationKind;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.TargetNotManaged;

/**
 * Turns the engine's {@link Decision} for one assignment event into what is emitted: a {@link ScimOperation} for the
 * scim-writer, or a Skipped/Failure {@link ProvisioningResult} when nothing can or should be sent. The one place that
 * does this, for the mapper's cycles and the change-detector's provision on demand alike, so the two cannot disagree.
 * Plain Java, stateless, thread-safe.
 *
 * <table>
 * <caption>Decision to emitted record (action, status, code as the provisioning log shows them)</caption>
 * <tr><th>decision</th><th>emitted</th></tr>
 * <tr><td>Upsert</td><td>UPSERT operation (the writer logs Create, Update, or Other when nothing changed)</td></tr>
 * <tr><td>Disable(code)</td><td>DISABLE operation with the code; the writer logs Disable, or
 * {@link TargetNotManaged} when Druva has no such user</td></tr>
 * <tr><td>Delete(code)</td><td>DELETE operation with the code; the writer logs Delete, or {@link TargetNotManaged}
 * </td></tr>
 * <tr><td>Skip(action, code)</td><td>result: action, Skipped, code</td></tr>
 * <tr><td>Fail(action, code)</td><td>result: action, Failure, code</td></tr>
 * </table>
 */
public final class OperationPlanner {

    private OperationPlanner() {
    }

    /**
     * What to emit for one event: exactly one of {@code operation} and {@code result} is non-null.
     *
     * @param operation for the scim-writer (topic {@code provisioning.operations}), or null
     * @param result a Skipped or Failure result the caller reports itself (topic {@code provisioning.results}), or null
     */
    public record Plan(ScimOperation operation, ProvisioningResult result) {
    }

    /**
     * Plans one event.
     *
     * @param event the assignment event the decision answers
     * @param decision the engine's decision for it ({@link CompiledJob#evaluate})
     * @param now when the result is created; an operation carries the event's {@code observedAt} instead (this only
     *        when the event has none), so an event mapped twice (a redelivery, or two mapper replicas during a
     *        rebalance) yields the same operation, and a later copy of an earlier event never looks newer than the
     *        object's next operation to the writer (which orders an object's waiting operations by it)
     * @param reportedBy the service that reports a result ({@code mapper-service}, or {@code change-detector} for
     *        provision on demand)
     */
    public static Plan plan(AssignmentEvent event, Decision decision, Instant now, String reportedBy) {
        if (decision instanceof Decision.Upsert u) {
            return new Plan(operation(event, OperationKind.UPSERT, u.attributes(), u.createOnlyAttributes(),
                    u.matching(), null, null, now), null);
        }
        if (decision instanceof Decision.Disable d) {
            return new Plan(operation(event, OperationKind.DISABLE, null, null, null, d.reasonCode(), d.reason(), now),
                    null);
        }
        if (decision instanceof Decision.Delete d) {
            return new Plan(operation(event, OperationKind.DELETE, null, null, null, d.reasonCode(), d.reason(), now),
                    null);
        }
        if (decision instanceof Decision.Skip s) {
            return new Plan(null, result(event, s.action(), ProvisioningStatus.Skipped, s.reasonCode(), s.reason(), now,
                    reportedBy));
        }
        Decision.Fail f = (Decision.Fail) decision;
        return new Plan(null,
                result(event, f.action(), ProvisioningStatus.Failure, f.errorCode(), f.reason(), now, reportedBy));
    }

    /**
     * A result for an event that is answered without the writer (a decision, or a failure of the caller's own, such as
     * an unknown job configuration).
     */
    public static ProvisioningResult result(AssignmentEvent event, ProvisioningAction action, ProvisioningStatus status,
            String code, String reason, Instant now, String reportedBy) {
        return new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION,
                ProvisioningResult.idOf(event.jobId(), event.objectId(), event.cycleId(), event.eventId()),
                event.jobId(), event.cycleId(), event.eventId(), event.objectType(), event.objectId(), null,
                event.displayName(), action, status, code, reason, null, 0, 0, List.of(), reportedBy, now);
    }

    private static ScimOperation operation(AssignmentEvent event, OperationKind kind, Map<String, Object> attributes,
            Map<String, Object> createOnly, List<MatchingAttribute> matching, String reasonCode, String reason,
            Instant now) {
        return new ScimOperation(ScimOperation.SCHEMA_VERSION, event.eventId(), event.jobId(), event.cycleId(),
                event.objectType(), event.objectId(), event.displayName(), kind, attributes, createOnly, matching,
                event.members(), reasonCode, reason, event.observedAt() != null ? event.observedAt() : now);
    }
}
