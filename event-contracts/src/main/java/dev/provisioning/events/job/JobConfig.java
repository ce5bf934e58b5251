package dev.provisioning.events.job;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A provisioning job's configuration, as published on {@code provisioning.jobs} (compacted, keyed by job id; a
 * tombstone means the job was deleted). Secrets are only ever {@link EncryptedSecret}s.
 *
 * @param schemaVersion {@link #SCHEMA_VERSION}
 * @param jobId the job id
 * @param name a name for people
 * @param state on, off or quarantined
 * @param tenantUrl Druva's SCIM base URL, e.g. {@code https://apis.druva.com/insync/scim}
 * @param secretToken the Druva auth token, encrypted
 * @param notificationEmail where failure emails go; may be null
 * @param notifyOnFailure Entra's "Send an email notification when a failure occurs"
 * @param scope assigned only, or all users and groups
 * @param skipNotEffectivelyEntitled skip users whose only assignment is Default Access (on by default for Druva)
 * @param patchDialect Entra's default or RFC-strict PATCH
 * @param actions which target object actions are allowed
 * @param skipOutOfScopeDeletions when true, users who fall out of scope are not disabled
 * @param userMappings the user attribute mappings; empty means the shipped Druva default
 * @param userScopingFilters the user scoping filters (ORed); empty means everyone in scope
 * @param source where users are read from
 * @param cycleInterval time between incremental cycles (Entra: 40 minutes)
 * @param revision increases with every change to the configuration
 * @param updatedAt when it last changed
 */
public record JobConfig(
        int schemaVersion,
        String jobId,
        String name,
        JobState state,
        String tenantUrl,
        EncryptedSecret secretToken,
        String notificationEmail,
        boolean notifyOnFailure,
        ProvisioningScope scope,
        boolean skipNotEffectivelyEntitled,
        PatchDialect patchDialect,
        TargetObjectActions actions,
        boolean skipOutOfScopeDeletions,
        List<AttributeMapping> userMappings,
        List<ScopingFilter> userScopingFilters,
        SourceConfig source,
        Duration cycleInterval,
        long revision,
        Instant updatedAt) {

    public static final int SCHEMA_VERSION = 1;

    public JobConfig {
        scope = scope == null ? ProvisioningScope.ASSIGNED_ONLY : scope;
        patchDialect = patchDialect == null ? PatchDialect.ENTRA : patchDialect;
        actions = actions == null ? TargetObjectActions.ALL : actions;
        userMappings = userMappings == null ? List.of() : List.copyOf(userMappings);
        userScopingFilters = userScopingFilters == null ? List.of() : List.copyOf(userScopingFilters);
        cycleInterval = cycleInterval == null ? Duration.ofMinutes(40) : cycleInterval;
    }
}
