package dev.provisioning.events;

import java.util.Set;

/**
 * What the provisioning log says when a DISABLE or DELETE operation finds no object managed by the job in the target
 * (never created, or already deleted): a Skipped record with this action, code and reason. The scim-writer logs it,
 * since only it knows the object is not managed; provision on demand shows the same. One definition so the two cannot
 * disagree.
 *
 * <table>
 * <caption>Operation's reason code to the record logged</caption>
 * <tr><th>reason code</th><th>action</th><th>why</th></tr>
 * <tr><td>{@code NotEffectivelyEntitled}, {@code OutOfScope} (the retired {@code SourceObjectDisabled} of an
 * operation queued by an earlier version is logged as {@code NotEffectivelyEntitled})</td><td>Create</td>
 * <td>the object is out of scope and was never created. Entra logs these as a skipped Create with the skip reason
 * (identity-governance-applications-existing-users.md: "filter the log to the action Create and status Skipped. If
 * users were skipped with the SkipReason code of NotEffectivelyEntitled, ... the user account status was
 * Disabled"); an unassigned group is skipped the same way</td></tr>
 * <tr><td>{@code TargetObjectNotManaged} or none (deleted in the source)</td><td>Other</td><td>source and target
 * already agree: nothing was changed (concept-provisioning-logs.md: Other is "no change was made")</td></tr>
 * </table>
 *
 * @param action {@link ProvisioningAction#Create} or {@link ProvisioningAction#Other}, as above
 * @param code the operation's reason code ({@code TargetObjectNotManaged} when it has none)
 * @param reason for the provisioning log: the operation's reason and that the target has no such user or group
 */
public record TargetNotManaged(ProvisioningAction action, String code, String reason) {

    /** Codes of an object out of scope: never created in the target, so a skip of it is a skipped Create. */
    private static final Set<String> OUT_OF_SCOPE_CODES = Set.of(ErrorCodes.NOT_EFFECTIVELY_ENTITLED,
            ErrorCodes.OUT_OF_SCOPE);

    /** The code earlier versions gave a disabled user; logged as Entra logs it, {@code NotEffectivelyEntitled}. */
    @SuppressWarnings("deprecation")
    private static final String RETIRED_DISABLED = ErrorCodes.SOURCE_DISABLED;

    /**
     * The record for a DISABLE or DELETE operation whose object the job does not manage in the target.
     *
     * @param op the operation (its {@code reasonCode} and {@code reason} say why it was emitted)
     */
    public static TargetNotManaged of(ScimOperation op) {
        String code = op.reasonCode() == null ? ErrorCodes.NOT_MANAGED : op.reasonCode();
        if (RETIRED_DISABLED.equals(code)) {
            code = ErrorCodes.NOT_EFFECTIVELY_ENTITLED;
        }
        String noun = op.objectType() == ObjectType.GROUP ? "group" : "user";
        if (OUT_OF_SCOPE_CODES.contains(code)) {
            return new TargetNotManaged(ProvisioningAction.Create, code, "not provisioned: "
                    + (op.reason() == null ? "out of scope" : op.reason()) + "; the target has no such " + noun);
        }
        return new TargetNotManaged(ProvisioningAction.Other, code, (op.reason() == null ? "" : op.reason() + "; ")
                + "the target has no such " + noun + " managed by this job: nothing to "
                + (op.kind() == OperationKind.DISABLE ? "disable" : "delete"));
    }
}
