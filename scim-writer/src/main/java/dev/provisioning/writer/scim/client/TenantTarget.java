package dev.provisioning.writer.scim.client;

import dev.provisioning.events.job.PatchDialect;
import dev.provisioning.events.job.TargetObjectActions;
import dev.provisioning.writer.retry.RetryBudget;
import dev.provisioning.writer.throughput.TenantGates;

/**
 * Where and how one operation's requests go: the tenant URL, the token in clear (never logged: {@link #toString()}
 * masks it), the PATCH dialect, the allowed actions, and the operation's retry budget (one per operation: make one
 * target per operation).
 */
public record TenantTarget(String jobId, String tenantUrl, String token, PatchDialect dialect,
        TargetObjectActions actions, RetryBudget budget) {

    public TenantTarget {
        budget = budget == null ? new RetryBudget() : budget;
    }

    /** A target with a fresh retry budget. */
    public TenantTarget(String jobId, String tenantUrl, String token, PatchDialect dialect,
            TargetObjectActions actions) {
        this(jobId, tenantUrl, token, dialect, actions, new RetryBudget());
    }

    /** The key of the tenant's request budget, health and lane ({@link TenantGates#tenantKey}). */
    public String tenant() {
        return TenantGates.tenantKey(tenantUrl);
    }

    @Override
    public String toString() {
        return "TenantTarget[jobId=" + jobId + ", tenantUrl=" + tenantUrl + ", token=******, dialect=" + dialect + "]";
    }
}
