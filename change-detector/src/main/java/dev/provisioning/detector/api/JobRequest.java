package dev.provisioning.detector.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import dev.provisioning.events.job.AttributeMapping;
import dev.provisioning.events.job.GraphSource;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.ScopingFilter;
import dev.provisioning.events.job.SourceConfig;
import dev.provisioning.events.job.TargetObjectActions;

/**
 * A job's configuration as an administrator sends it: what Entra's Provisioning tab holds for Druva. Enumerations are
 * strings here so that a wrong value gets a 400 that names the field. Every string and list has a size limit
 * ({@link JobValidator}); URLs follow {@code SecureUrls}; a secret has no control characters and stays with its URL.
 *
 * <p>
 * On create ({@code POST /jobs}) an absent member takes the default named below. On update ({@code PUT /jobs/{id}})
 * an absent (or null) member keeps the job's current value, as Entra's Save changes only what was edited (saving new
 * credentials never changes the provisioning status): a PUT changes what it sends. {@code name}, {@code tenantUrl} and
 * {@code source} are required on both (they have no default). To clear {@code notificationEmail} send {@code ""}; to
 * drop every scoping filter send {@code []}; to go back to the Druva mapping send {@code userMappings: []}. A repair
 * of a job whose stored row cannot be read takes the whole configuration: there an absent member takes its default,
 * except {@code provisioningStatus}, kept from the row. The members a GET shows that a request does not carry
 * ({@code id}, {@code state}, {@code secretTokenConfigured}, {@code revision}, {@code updatedAt}, {@code problem}) are
 * taken and ignored, so that a GET's body sent back by PUT changes nothing.
 *
 * @param name a name for people (required)
 * @param tenantUrl Druva's SCIM base URL (required), e.g. {@code https://apis.druva.com/insync/scim}
 * @param secretToken the Druva auth token: required on create, kept when absent on update; write-only
 * @param notificationEmail where failure emails go (default none)
 * @param notifyOnFailure send an email notification when a failure occurs (needs {@code notificationEmail}; default
 *        false)
 * @param provisioningStatus {@code On} or {@code Off} (default on create: Off; absent on update: unchanged, as the
 *        job's {@code provisioningStatus} shows it); the job's Start and Pause change it too
 * @param scope {@code ASSIGNED_ONLY} (default) or {@code ALL}
 * @param skipNotEffectivelyEntitled skip users with only Default Access (default true)
 * @param patchDialect {@code ENTRA} (default) or {@code RFC_STRICT}
 * @param actions target object actions (default all on)
 * @param skipOutOfScopeDeletions do not disable users who fall out of scope (default false)
 * @param userMappings attribute mappings (default: the Druva mapping)
 * @param userScopingFilters scoping filters (default: none)
 * @param source where to read the directory (required)
 * @param cycleInterval ISO-8601 duration between incremental cycles (default {@code PT40M})
 * @param deletionThreshold accidental-deletion threshold: disables + deletes allowed in one cycle before they are
 *        all held; 0 turns it off (default on create: 500, Entra's example; absent on update: unchanged)
 * @param deletionThresholdPercent the threshold's share: disables + deletes allowed in one cycle as a percentage of the
 *        objects the job manages in Druva (for jobs managing more than 100), whichever limit trips first; 0 turns it
 *        off (default on create: 20, Okta's import safeguard; absent on update: unchanged)
 */
@JsonIgnoreProperties({"id", "state", "secretTokenConfigured", "revision", "updatedAt", "problem"})
public record JobRequest(
        String name,
        String tenantUrl,
        String secretToken,
        String notificationEmail,
        Boolean notifyOnFailure,
        String provisioningStatus,
        String scope,
        Boolean skipNotEffectivelyEntitled,
        String patchDialect,
        TargetObjectActions actions,
        Boolean skipOutOfScopeDeletions,
        List<AttributeMapping> userMappings,
        List<ScopingFilter> userScopingFilters,
        SourceRequest source,
        String cycleInterval,
        Integer deletionThreshold,
        Integer deletionThresholdPercent) {

    /**
     * The source: {@code type} DIRECTORY_FILE with {@code directoryFile} (an absolute path on the change-detector's
     * machine; a relative one is refused, see {@link JobValidator}), or MICROSOFT_GRAPH with {@code graph} (its client
     * secret is write-only, like the token).
     */
    public record SourceRequest(String type, String directoryFile,
            GraphSourceRequest graph) {

        /**
         * A job's current source as a request would send it, without the Graph client secret (absent: the stored one
         * is kept), or null when the job has none.
         */
        static SourceRequest of(SourceConfig current) {
            if (current == null) {
                return null;
            }
            GraphSource g = current.graph();
            return new SourceRequest(current.type().name(), current.directoryFile(), g == null
                    ? null
                    : new GraphSourceRequest(g.tenantId(), g.clientId(), null, g.servicePrincipalId(),
                            g.authorityUrl(), g.graphUrl()));
        }
    }

    /**
     * This request on update: every absent member is the job's current value ({@code name}, {@code tenantUrl} and
     * {@code source} too, its Graph client secret kept by {@code GraphSourceRequest#toGraphSource};
     * {@code notificationEmail} stays cleared when sent blank). Secrets and the deletion threshold stay as sent (their
     * absence is handled where they are kept).
     */
    JobRequest withCurrent(JobConfig current) {
        return new JobRequest(name == null ? current.name() : name,
                tenantUrl == null ? current.tenantUrl() : tenantUrl, secretToken,
                notificationEmail == null ? current.notificationEmail() : notificationEmail,
                notifyOnFailure == null ? current.notifyOnFailure() : notifyOnFailure,
                provisioningStatus == null ? JobView.provisioningStatus(current.state().name()) : provisioningStatus,
                scope == null ? current.scope().name() : scope,
                skipNotEffectivelyEntitled == null ? current.skipNotEffectivelyEntitled() : skipNotEffectivelyEntitled,
                patchDialect == null ? current.patchDialect().name() : patchDialect,
                actions == null ? current.actions() : actions,
                skipOutOfScopeDeletions == null ? current.skipOutOfScopeDeletions() : skipOutOfScopeDeletions,
                userMappings == null ? current.userMappings() : userMappings,
                userScopingFilters == null ? current.userScopingFilters() : userScopingFilters,
                source == null ? SourceRequest.of(current.source()) : source,
                cycleInterval == null ? current.cycleInterval().toString() : cycleInterval, deletionThreshold,
                deletionThresholdPercent);
    }

    /** Hides the token if a request is ever printed. */
    @Override
    public String toString() {
        return "JobRequest[name=" + name + ", tenantUrl=" + tenantUrl + ", secretToken="
                + (secretToken == null ? null : "***")
                + "]";
    }
}
