package dev.provisioning.detector.api;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.messaging.JobPublisher;
import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.CycleRow;
import dev.provisioning.detector.persistence.JobRepository;
import dev.provisioning.detector.persistence.JobRow;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.job.EncryptedSecret;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.PatchDialect;
import dev.provisioning.events.job.ProvisioningScope;
import dev.provisioning.events.job.SecretCipher;
import dev.provisioning.events.job.SourceConfig;
import dev.provisioning.events.job.SourceType;
import dev.provisioning.mapping.MappingEngine;

/**
 * Creates, changes and reads jobs. Every change is published on {@code provisioning.jobs} before it is stored, so the
 * other services never act on a job the topic does not know; at start-up every job is published again, which repairs
 * a publish that was interrupted.
 */
@ApplicationScoped
public class JobService {

    private static final Logger LOG = Logger.getLogger(JobService.class);

    private final JobRepository jobs;
    private final CycleRepository cycles;
    private final ProvisioningLogRepository log;
    private final JobPublisher publisher;
    private final SecretCipher cipher;

    public JobService(JobRepository jobs, CycleRepository cycles, ProvisioningLogRepository log, JobPublisher publisher,
            SecretCipher cipher) {
        this.jobs = jobs;
        this.cycles = cycles;
        this.log = log;
        this.publisher = publisher;
        this.cipher = cipher;
    }

    void republishAll(@Observes StartupEvent event) {
        jobs.list()
                .onItem().transformToMulti(all -> Multi.createFrom().iterable(all))
                .onItem().transformToUniAndConcatenate(row -> publisher.publish(EventChecks.job(row.config())))
                .collect().asList()
                .subscribe().with(published -> LOG.infof("published %d job configurations", published.size()),
                        failure -> LOG.errorf("could not republish job configurations: %s", failure.toString()));
    }

    public Uni<JobView> create(JobRequest request) {
        List<FieldError> errors = JobValidator.validate(request, true);
        if (!errors.isEmpty()) {
            return Uni.createFrom().failure(new InvalidJobException(errors));
        }
        String id = UUID.randomUUID().toString();
        JobConfig config = toConfig(id, request, cipher.encrypt(request.secretToken()), 1);
        errors = mappingErrors(config);
        if (!errors.isEmpty()) {
            return Uni.createFrom().failure(new InvalidJobException(errors));
        }
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        JobRow row = new JobRow(id, config.name(), config.state().name(), Json.write(config), 1,
                config.state() == JobState.ACTIVE ? now : null, true, null, null, now, now);
        return publisher.publish(config).chain(() -> jobs.insert(row)).map(ignored -> JobView.of(config));
    }

    public Uni<Optional<JobView>> update(String id, JobRequest request) {
        List<FieldError> errors = JobValidator.validate(request, false);
        if (!errors.isEmpty()) {
            return Uni.createFrom().failure(new InvalidJobException(errors));
        }
        return jobs.find(id).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<JobView>empty());
            }
            JobConfig old = EventChecks.job(found.get().config());
            EncryptedSecret token = request.secretToken() == null || request.secretToken().isBlank()
                    ? old.secretToken()
                    : cipher.encrypt(request.secretToken());
            JobConfig config = toConfig(id, request, token, old.revision() + 1);
            List<FieldError> mappingErrors = mappingErrors(config);
            if (!mappingErrors.isEmpty()) {
                return Uni.createFrom().failure(new InvalidJobException(mappingErrors));
            }
            boolean full = !config.userMappings().equals(old.userMappings())
                    || !config.userScopingFilters().equals(old.userScopingFilters()) || config.scope() != old.scope();
            return publisher.publish(config)
                    .chain(() -> jobs.updateConfig(id, config.name(), config.state().name(), Json.write(config),
                            config.revision(), full))
                    .chain(() -> config.state() == JobState.ACTIVE && old.state() != JobState.ACTIVE
                            ? jobs.start(id)
                            : Uni.createFrom().item(true))
                    .map(ignored -> Optional.of(JobView.of(config)));
        });
    }

    public Uni<Optional<JobView>> find(String id) {
        return jobs.find(id).map(row -> row.map(r -> JobView.of(EventChecks.job(r.config()))));
    }

    public Uni<List<JobView>> list() {
        return jobs.list().map(rows -> rows.stream().map(r -> JobView.of(EventChecks.job(r.config()))).toList());
    }

    /** Turns provisioning on (Entra's Start): the next cycle runs now. */
    public Uni<Optional<JobView>> start(String id) {
        return changeState(id, JobState.ACTIVE)
                .call(found -> found.isPresent() ? jobs.start(id) : Uni.createFrom().nullItem());
    }

    /** Turns provisioning off; the running cycle finishes. */
    public Uni<Optional<JobView>> pause(String id) {
        return changeState(id, JobState.PAUSED)
                .call(found -> found.isPresent() ? jobs.pause(id) : Uni.createFrom().nullItem());
    }

    private Uni<Optional<JobView>> changeState(String id, JobState state) {
        return jobs.find(id).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<JobView>empty());
            }
            JobConfig old = EventChecks.job(found.get().config());
            JobConfig config = withState(old, state);
            return publisher.publish(config)
                    .chain(() -> jobs.updateConfig(id, config.name(), state.name(), Json.write(config),
                            config.revision(),
                            false))
                    .map(ignored -> Optional.of(JobView.of(config)));
        });
    }

    public Uni<Optional<JobStatusView>> status(String id) {
        return jobs.find(id).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<JobStatusView>empty());
            }
            JobRow job = found.get();
            return cycles.latest(id, 10).chain(latest -> {
                List<Uni<JobStatusView.CycleView>> views = new ArrayList<>();
                for (CycleRow c : latest) {
                    views.add(log.counts(id, c.id()).map(counts -> view(c, counts)));
                }
                Uni<List<JobStatusView.CycleView>> all = views.isEmpty()
                        ? Uni.createFrom().item(List.of())
                        : Uni.join().all(views).andFailFast();
                return all.map(cycleViews -> {
                    JobStatusView.CycleView current = cycleViews.isEmpty() ? null : cycleViews.get(0);
                    JobStatusView.CycleView lastCompleted = cycleViews.stream()
                            .filter(c -> c.status().equals("COMPLETED")).findFirst().orElse(null);
                    return Optional.of(new JobStatusView(id, job.state(), job.lastError(), job.nextCycleAt(), current,
                            lastCompleted, cycleViews));
                });
            });
        });
    }

    public Uni<List<ProvisioningLogRepository.LogRecord>> logs(String id, String cycleId, String objectId,
            String action,
            String status, OffsetDateTime since, int limit) {
        return log.query(id, cycleId, objectId, action, status, since, limit);
    }

    private static JobStatusView.CycleView view(CycleRow c, Map<String, Long> counts) {
        long results = counts.values().stream().mapToLong(Long::longValue).sum();
        String status = switch (c.status()) {
            case "RUNNING" -> "RUNNING";
            case "FAILED" -> "FAILED";
            default -> results >= c.eventsEmitted() ? "COMPLETED" : "IN_PROGRESS";
        };
        int progress = c.eventsEmitted() == 0
                ? (status.equals("COMPLETED") ? 100 : 0)
                : (int) Math.min(100, results * 100 / c.eventsEmitted());
        return new JobStatusView.CycleView(c.id(), c.fullCycle(), status, c.startedAt(), c.emittedAt(),
                c.eventsEmitted(),
                results, progress, JobStatusView.Summary.of(counts), counts, c.error());
    }

    private static JobConfig withState(JobConfig c, JobState state) {
        return new JobConfig(c.schemaVersion(), c.jobId(), c.name(), state, c.tenantUrl(), c.secretToken(),
                c.notificationEmail(), c.notifyOnFailure(), c.scope(), c.skipNotEffectivelyEntitled(), c.patchDialect(),
                c.actions(), c.skipOutOfScopeDeletions(), c.userMappings(), c.userScopingFilters(), c.source(),
                c.cycleInterval(), c.revision() + 1, Instant.now());
    }

    private static JobConfig toConfig(String id, JobRequest r, EncryptedSecret token, long revision) {
        JobState state = "On".equalsIgnoreCase(r.provisioningStatus()) ? JobState.ACTIVE : JobState.PAUSED;
        return new JobConfig(JobConfig.SCHEMA_VERSION, id, r.name(), state, r.tenantUrl().trim(), token,
                blankToNull(r.notificationEmail()), Boolean.TRUE.equals(r.notifyOnFailure()),
                r.scope() == null
                        ? ProvisioningScope.ASSIGNED_ONLY
                        : ProvisioningScope.valueOf(r.scope().toUpperCase(Locale.ROOT)),
                r.skipNotEffectivelyEntitled() == null || r.skipNotEffectivelyEntitled(),
                r.patchDialect() == null
                        ? PatchDialect.ENTRA
                        : PatchDialect.valueOf(r.patchDialect().toUpperCase(Locale.ROOT)),
                r.actions(), Boolean.TRUE.equals(r.skipOutOfScopeDeletions()), r.userMappings(), r.userScopingFilters(),
                new SourceConfig(SourceType.valueOf(r.source().type().toUpperCase(Locale.ROOT)),
                        r.source().directoryFile(),
                        null),
                r.cycleInterval() == null ? null : Duration.parse(r.cycleInterval()), revision, Instant.now());
    }

    /** The mapper's own validation of mappings and scoping filters, so nothing invalid reaches the pipeline. */
    private static List<FieldError> mappingErrors(JobConfig config) {
        return MappingEngine.validate(config).stream().map(e -> new FieldError(e.field(), e.message())).toList();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
