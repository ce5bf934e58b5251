package dev.provisioning.writer.target;

import dev.provisioning.events.job.PatchDialect;
import dev.provisioning.events.job.TargetObjectActions;

/**
 * Where and how one job's requests go: the tenant URL, the token in clear (never logged: {@link #toString()} masks
 * it), the PATCH dialect and the allowed actions.
 */
public record TenantTarget(String jobId, String tenantUrl, String token, PatchDialect dialect,
        TargetObjectActions actions) {

    @Override
    public String toString() {
        return "TenantTarget[jobId=" + jobId + ", tenantUrl=" + tenantUrl + ", token=******, dialect=" + dialect + "]";
    }
}
