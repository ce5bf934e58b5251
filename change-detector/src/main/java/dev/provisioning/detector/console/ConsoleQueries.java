package dev.provisioning.detector.console;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.api.FieldError;
import dev.provisioning.detector.api.InvalidJobException;
import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.cycle.CyclePlanner;
import dev.provisioning.detector.job.ProvisioningJob;
import dev.provisioning.detector.persistence.JobStore;
import dev.provisioning.detector.source.Directory;
import dev.provisioning.detector.source.DirectorySources;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.job.AttributeMapping;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.mapping.Decision;
import dev.provisioning.mapping.InvalidConfigurationException;
import dev.provisioning.mapping.MappingEngine;
import dev.provisioning.mapping.MappingValue;

/**
 * What the operator console asks beyond the jobs API: a mapping tested against one source user, the source's users and
 * groups to pick from, and the secret token's expiry. Reads only; nothing here changes
 * a job, a snapshot or Druva. The source is read as provision on demand reads it (without committing a Graph
 * deltaLink), so a cycle's position never moves.
 */
@ApplicationScoped
public class ConsoleQueries {

    private final JobStore jobs;
    private final DirectorySources sources;
    private final DetectorConfig config;

    public ConsoleQueries(JobStore jobs, DirectorySources sources, DetectorConfig config) {
        this.jobs = jobs;
        this.sources = sources;
        this.config = config;
    }

    private Uni<Optional<JobConfig>> job(String id) {
        return jobs.find(id).map(found -> found.map(ProvisioningJob::config));
    }

    /** The source as a cycle reads it (never committed: a cycle's position does not move). */
    private Uni<Directory> read(JobConfig job) {
        return sources.forJob(job).load();
    }

    /**
     * Evaluates {@code mapping} for the user {@code objectId} of the job's source.
     *
     * @throws InvalidJobException (400) naming {@code objectId} when the source has no such user, or the mapping's
     *         field ({@code mapping.source}, ...) when the mapping is invalid
     */
    public Uni<Optional<ConsoleViews.MappingTest>> testMapping(String id, ConsoleViews.MappingTestRequest request) {
        List<FieldError> errors = new ArrayList<>();
        if (request == null || request.mapping() == null) {
            errors.add(new FieldError("mapping", "is required: the attribute mapping to test"));
        }
        if (request == null || request.objectId() == null || request.objectId().isBlank()) {
            errors.add(new FieldError("objectId", "is required: the source id of a user"));
        }
        if (!errors.isEmpty()) {
            return Uni.createFrom().failure(InvalidJobException.request(errors));
        }
        AttributeMapping mapping = request.mapping();
        return job(id).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<ConsoleViews.MappingTest>empty());
            }
            JobConfig job = found.get();
            return read(job).map(directory -> {
                Directory.SourceUser user = directory.users().stream()
                        .filter(u -> u.id().equals(request.objectId())).findFirst()
                        .orElseThrow(() -> InvalidJobException.request(List.of(new FieldError("objectId",
                                "no user with id '" + request.objectId() + "' in the job's source"))));
                AssignmentEvent event = CyclePlanner.userEvent(job.jobId(), "mapping-test", directory, user, true,
                        true, Instant.now());
                MappingValue value;
                try {
                    value = MappingEngine.evaluateMapping(mapping, event, Clock.systemUTC());
                } catch (InvalidConfigurationException e) {
                    throw InvalidJobException.request(
                            e.errors().stream().map(c -> new FieldError(c.field(), c.message())).toList());
                }
                return Optional.of(new ConsoleViews.MappingTest(user.id(), event.displayName(),
                        mapping.target() == null ? null : mapping.target().trim(), value.outcome().name(),
                        value.value(), value.createOnly(), value.error(), scopeNote(job, event)));
            });
        });
    }

    /**
     * Whether the job provisions the user now, as a cycle would decide (null when it does): the mapped value matters
     * only for users in scope.
     */
    private static String scopeNote(JobConfig job, AssignmentEvent event) {
        Decision decision;
        try {
            decision = MappingEngine.compile(job).evaluateUser(event);
        } catch (InvalidConfigurationException e) {
            return null;
        }
        if (decision instanceof Decision.Skip skip) {
            return "this user is not provisioned now (" + skip.reasonCode() + ": " + skip.reason() + ")";
        }
        if (decision instanceof Decision.Disable disable) {
            return "this user is out of scope (" + disable.reasonCode() + ": " + disable.reason()
                    + "): it is disabled, not updated";
        }
        return null;
    }

    /**
     * The source's users and groups whose id, display name, user principal name or mail contains {@code search}
     * (case-insensitive; all when blank), users first, at most {@code limit}.
     */
    public Uni<Optional<List<ConsoleViews.SourceObject>>> sourceObjects(String id, String search, int limit) {
        if (limit < 1 || limit > 200) {
            return Uni.createFrom()
                    .failure(
                            InvalidJobException.request(List.of(new FieldError("limit", "must be between 1 and 200"))));
        }
        String needle = search == null ? "" : search.trim().toLowerCase(Locale.ROOT);
        return job(id).chain(found -> found.isEmpty()
                ? Uni.createFrom().item(Optional.<List<ConsoleViews.SourceObject>>empty())
                : read(found.get()).map(directory -> {
                    List<ConsoleViews.SourceObject> matches = new ArrayList<>();
                    for (Directory.SourceUser u : directory.users()) {
                        ConsoleViews.SourceObject o = new ConsoleViews.SourceObject(u.id(), "USER",
                                string(u.attributes().get("displayName")),
                                string(u.attributes().get("userPrincipalName")), string(u.attributes().get("mail")));
                        if (o.matches(needle)) {
                            matches.add(o);
                        }
                    }
                    for (Directory.SourceGroup g : directory.groups()) {
                        ConsoleViews.SourceObject o = new ConsoleViews.SourceObject(g.id(), "GROUP", g.displayName(),
                                null, null);
                        if (o.matches(needle)) {
                            matches.add(o);
                        }
                    }
                    return Optional.of(matches.size() > limit ? List.copyOf(matches.subList(0, limit)) : matches);
                }));
    }

    /** When the job's secret token was set and when Druva stops taking it ({@code detector.token-lifetime}). */
    public Uni<Optional<ConsoleViews.TokenExpiry>> tokenExpiry(String id) {
        return jobs.find(id).map(found -> found.map(this::tokenExpiry));
    }

    private ConsoleViews.TokenExpiry tokenExpiry(ProvisioningJob job) {
        OffsetDateTime setAt = job.tokenSetAt() == null ? null : job.tokenSetAt().atOffset(ZoneOffset.UTC);
        if (setAt == null) {
            return new ConsoleViews.TokenExpiry(null, null, false, false);
        }
        OffsetDateTime expiresAt = setAt.plus(config.tokenLifetime());
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return new ConsoleViews.TokenExpiry(setAt, expiresAt,
                !now.isBefore(expiresAt.minus(config.tokenExpiryWarning())), !now.isBefore(expiresAt));
    }

    private static String string(Object o) {
        return o == null ? null : o.toString();
    }
}
