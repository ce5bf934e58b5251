package dev.provisioning.detector.api;

import java.time.Instant;
import java.util.List;

import dev.provisioning.detector.job.DeletionThreshold;
import dev.provisioning.events.job.AttributeMapping;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.ScopingFilter;
import dev.provisioning.events.job.SourceConfig;
import dev.provisioning.events.job.SourceType;
import dev.provisioning.events.job.TargetObjectActions;

/**
 * A job as the API shows it. The secret token is never returned: only whether one is set. {@code cycleInterval} is an
 * ISO-8601 duration ({@code PT40M}), as a request sends it. {@code deletionThreshold} and
 * {@code deletionThresholdPercent} are
 * kept by the change-detector (the JobConfig contract has no such field).
 */
public record JobView(
        String id,
        String name,
        String state,
        String tenantUrl,
        boolean secretTokenConfigured,
        String notificationEmail,
        boolean notifyOnFailure,
        String scope,
        boolean skipNotEffectivelyEntitled,
        String patchDialect,
        TargetObjectActions actions,
        boolean skipOutOfScopeDeletions,
        List<AttributeMapping> userMappings,
        List<ScopingFilter> userScopingFilters,
        SourceView source,
        String cycleInterval,
        long revision,
        Instant updatedAt,
        int deletionThreshold,
        int deletionThresholdPercent) {

    static JobView of(JobConfig c, DeletionThreshold threshold) {
        return new JobView(c.jobId(), c.name(), c.state().name(), c.tenantUrl(), c.secretToken() != null,
                c.notificationEmail(), c.notifyOnFailure(), c.scope().name(), c.skipNotEffectivelyEntitled(),
                c.patchDialect().name(), c.actions(), c.skipOutOfScopeDeletions(), c.userMappings(),
                c.userScopingFilters(),
                SourceView.of(c.source()),
                c.cycleInterval() == null ? null : c.cycleInterval().toString(), c.revision(), c.updatedAt(),
                threshold.count(),
                threshold.percent());
    }

    /** The source as the API shows it: the Graph client secret only as "set". */
    public record SourceView(SourceType type, String directoryFile, GraphSourceView graph) {

        static SourceView of(SourceConfig s) {
            return s == null ? null : new SourceView(s.type(), s.directoryFile(), GraphSourceView.of(s.graph()));
        }
    }
}
