package dev.provisioning.detector.api;

import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.provisioning.detector.job.DeletionThreshold;
import dev.provisioning.detector.persistence.UnreadableJob;
import dev.provisioning.events.job.AttributeMapping;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.ScopingFilter;
import dev.provisioning.events.job.SourceConfig;
import dev.provisioning.events.job.SourceType;
import dev.provisioning.events.job.TargetObjectActions;

/**
 * A job as the API shows it. The secret token is never returned: only whether one is set. {@code state} is ACTIVE,
 * PAUSED or QUARANTINED; {@code provisioningStatus} is the same as a request sends it ({@code On}, or {@code Off}
 * while PAUSED), so that a GET's body sent back by PUT keeps the job's status. The members a request does not carry
 * ({@code id}, {@code state}, {@code secretTokenConfigured}, {@code revision}, {@code updatedAt}, {@code problem},
 * {@code source.graph.clientSecretSet}) are taken and ignored by PUT ({@link JobRequest}). {@code cycleInterval} is an
 * ISO-8601 duration ({@code PT40M}), as a request sends it. {@code deletionThreshold} and
 * {@code deletionThresholdPercent} are
 * kept by the change-detector (the JobConfig contract has no such field).
 *
 * <p>
 * A job whose stored row this version cannot read is listed ({@code GET /jobs}) with its {@code id}, {@code name} and
 * {@code state}, what of it could be read, and {@code problem}: the RFC 9457 problem (409) that the job's own endpoints
 * answer for it, naming every field that cannot be read and the way to repair it ({@link UnreadableJobProblem}). What
 * could be read: the configuration's members when the configuration itself could be read (the fault lies in the
 * quarantine reason or the deletion threshold), {@code deletionThreshold} and {@code deletionThresholdPercent} when
 * the threshold could be read; every other member is null, and so is {@code secretTokenConfigured} (a repair does not
 * use the stored secrets: it must send them). So a form that repairs the job starts from what is known. {@code problem}
 * is left out of a job that can be read.
 */
public record JobView(
        String id,
        String name,
        String state,
        String provisioningStatus,
        String tenantUrl,
        Boolean secretTokenConfigured,
        String notificationEmail,
        Boolean notifyOnFailure,
        String scope,
        Boolean skipNotEffectivelyEntitled,
        String patchDialect,
        TargetObjectActions actions,
        Boolean skipOutOfScopeDeletions,
        List<AttributeMapping> userMappings,
        List<ScopingFilter> userScopingFilters,
        SourceView source,
        String cycleInterval,
        Long revision,
        Instant updatedAt,
        Integer deletionThreshold,
        Integer deletionThresholdPercent,
        @JsonInclude(JsonInclude.Include.NON_NULL) UnreadableJobProblem problem) {

    static JobView of(JobConfig c, DeletionThreshold threshold) {
        return new JobView(c.jobId(), c.name(), c.state().name(), provisioningStatus(c.state().name()), c.tenantUrl(),
                c.secretToken() != null,
                c.notificationEmail(), c.notifyOnFailure(), c.scope().name(), c.skipNotEffectivelyEntitled(),
                c.patchDialect().name(), c.actions(), c.skipOutOfScopeDeletions(), c.userMappings(),
                c.userScopingFilters(),
                SourceView.of(c.source()),
                c.cycleInterval() == null ? null : c.cycleInterval().toString(), c.revision(), c.updatedAt(),
                threshold.count(),
                threshold.percent(), null);
    }

    /** A job whose stored row cannot be read: what can be shown of it, and its problem. */
    static JobView of(UnreadableJob job) {
        JobConfig c = job.config();
        DeletionThreshold t = job.deletionThreshold();
        Integer count = t == null ? null : t.count();
        Integer percent = t == null ? null : t.percent();
        UnreadableJobProblem problem = UnreadableJobMapper.problem(job, null);
        if (c == null) {
            return new JobView(job.id(), job.name(), job.state(), provisioningStatus(job.state()), null, null, null,
                    null, null, null, null, null, null,
                    null, null, null, null, null, null, count, percent, problem);
        }
        return new JobView(job.id(), job.name(), job.state(), provisioningStatus(job.state()), c.tenantUrl(), null,
                c.notificationEmail(),
                c.notifyOnFailure(), c.scope().name(), c.skipNotEffectivelyEntitled(), c.patchDialect().name(),
                c.actions(), c.skipOutOfScopeDeletions(), c.userMappings(), c.userScopingFilters(),
                SourceView.of(c.source()), c.cycleInterval() == null ? null : c.cycleInterval().toString(),
                c.revision(), c.updatedAt(), count, percent, problem);
    }

    /**
     * The provisioning status a request sends for a job's state: {@code Off} while PAUSED, {@code On} while ACTIVE or
     * QUARANTINED (a quarantined job's provisioning is on: its cycles run once a day); null for a state this version
     * does not know.
     */
    static String provisioningStatus(String state) {
        if (JobState.PAUSED.name().equals(state)) {
            return "Off";
        }
        return JobState.ACTIVE.name().equals(state) || JobState.QUARANTINED.name().equals(state) ? "On" : null;
    }

    /** The source as the API shows it: the Graph client secret only as "set". */
    public record SourceView(SourceType type, String directoryFile, GraphSourceView graph) {

        static SourceView of(SourceConfig s) {
            return s == null ? null : new SourceView(s.type(), s.directoryFile(), GraphSourceView.of(s.graph()));
        }
    }
}
