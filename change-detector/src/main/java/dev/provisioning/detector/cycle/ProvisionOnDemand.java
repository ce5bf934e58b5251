package dev.provisioning.detector.cycle;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

import dev.provisioning.detector.api.FieldError;
import dev.provisioning.detector.api.InvalidJobException;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.detector.persistence.SnapshotRepository;
import dev.provisioning.detector.source.Directory;
import dev.provisioning.detector.source.DirectorySources;
import dev.provisioning.detector.writer.WriterClient;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.OperationKind;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.mapping.CompiledJob;
import dev.provisioning.mapping.Decision;
import dev.provisioning.mapping.MappingEngine;

/**
 * Entra's "Provision on demand": one user, or a group with at most {@value #MAX_GROUP_MEMBERS} members, now, with the
 * steps Import, Scope, Match and Action. The source is read as a cycle reads it, the mapping engine decides as the
 * mapper does, and the scim-writer executes the operation synchronously. Results are written to the provisioning log
 * under a cycle id of their own ({@code on-demand-...}); the cycles' snapshot does not move.
 */
@ApplicationScoped
public class ProvisionOnDemand {

    public static final int MAX_GROUP_MEMBERS = 5;
    static final String REPORTER = "change-detector";

    private final DirectorySources sources;
    private final SnapshotRepository snapshots;
    private final WriterClient writer;
    private final ProvisioningLogRepository log;

    public ProvisionOnDemand(DirectorySources sources, SnapshotRepository snapshots, WriterClient writer,
            ProvisioningLogRepository log) {
        this.sources = sources;
        this.snapshots = snapshots;
        this.writer = writer;
        this.log = log;
    }

    /** One step and its outcome: {@code status} is Success, Failure, Skipped or Warning. */
    public record Step(String name, String status, String detail) {
    }

    /**
     * What happened to one object. For a group, {@code members} holds each member's own steps and result.
     *
     * @param result the outcome as the provisioning log records it (null for a group)
     */
    public record Outcome(String objectId, String objectType, String displayName, List<Step> steps,
            ProvisioningResult result, List<Outcome> members) {
    }

    public Uni<Outcome> provision(JobConfig job, String objectId) {
        if (objectId == null || objectId.isBlank()) {
            return Uni.createFrom().failure(new InvalidJobException(
                    List.of(new FieldError("objectId", "is required: the source id of a user or a group"))));
        }
        String cycleId = "on-demand-" + UUID.randomUUID();
        return Uni.createFrom().item(() -> sources.forJob(job).read())
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .chain(directory -> snapshots.load(job.jobId()).chain(snapshot -> {
                    Optional<Directory.SourceUser> user = directory.users().stream()
                            .filter(u -> u.id().equals(objectId)).findFirst();
                    if (user.isPresent()) {
                        return user(job, cycleId, directory, user.get(), snapshot.containsKey(objectId));
                    }
                    Optional<Directory.SourceGroup> group = directory.groups().stream()
                            .filter(g -> g.id().equals(objectId)).findFirst();
                    if (group.isEmpty()) {
                        return Uni.createFrom().failure(new InvalidJobException(List.of(new FieldError("objectId",
                                "no user or group with id '" + objectId + "' in the job's source"))));
                    }
                    Directory.SourceGroup g = group.get();
                    if (g.members().size() > MAX_GROUP_MEMBERS) {
                        return Uni.createFrom().failure(new InvalidJobException(List.of(new FieldError("objectId",
                                "group '" + g.displayName() + "' has " + g.members().size() + " members: provision on "
                                        + "demand takes a group with at most " + MAX_GROUP_MEMBERS + " members"))));
                    }
                    List<Directory.SourceUser> members = directory.users().stream()
                            .filter(u -> g.members().contains(u.id())).toList();
                    Step imported = new Step("Import", "Success", "read group '" + g.displayName() + "' with "
                            + g.members().size() + " direct members from the source (groups themselves are not "
                            + "provisioned by this version: their members are)");
                    return Multi.createFrom().iterable(members)
                            .onItem().transformToUniAndConcatenate(
                                    m -> user(job, cycleId, directory, m, snapshot.containsKey(m.id())))
                            .collect().asList()
                            .map(outcomes -> new Outcome(g.id(), ObjectType.GROUP.name(), g.displayName(),
                                    List.of(imported), null, outcomes));
                }));
    }

    private Uni<Outcome> user(JobConfig job, String cycleId, Directory directory, Directory.SourceUser user,
            boolean known) {
        Instant now = Instant.now();
        AssignmentEvent event = CyclePlanner.userEvent(job.jobId(), cycleId, directory, user, known, now);
        List<Step> steps = new ArrayList<>();
        steps.add(new Step("Import", "Success", "read user '" + event.displayName() + "' ("
                + event.assignments().size() + " assignments) from the source"));
        CompiledJob engine = MappingEngine.compile(job);
        Decision decision = engine.evaluateUser(event);
        if (decision instanceof Decision.Skip) {
            Decision.Skip skip = (Decision.Skip) decision;
            steps.add(new Step("Scope", "Skipped", skip.reasonCode() + ": " + skip.reason()));
            steps.add(notRun("Match"));
            steps.add(notRun("Action"));
            return recorded(event, steps, local(event, ProvisioningStatus.Skipped, skip.reasonCode(), skip.reason()));
        }
        if (decision instanceof Decision.Fail) {
            Decision.Fail fail = (Decision.Fail) decision;
            steps.add(new Step("Scope", "Success", "the user is in scope"));
            steps.add(new Step("Match", "Skipped", "not run: nothing can be sent to Druva"));
            steps.add(new Step("Action", "Failure", fail.errorCode() + ": " + fail.reason()));
            return recorded(event, steps, local(event, ProvisioningStatus.Failure, fail.errorCode(), fail.reason()));
        }
        ScimOperation operation;
        if (decision instanceof Decision.Upsert) {
            Decision.Upsert upsert = (Decision.Upsert) decision;
            steps.add(new Step("Scope", "Success", "the user is in scope"));
            operation = operation(event, OperationKind.UPSERT, upsert.attributes(), upsert.createOnlyAttributes(),
                    upsert.matching(), null, null, now);
        } else if (decision instanceof Decision.Disable) {
            Decision.Disable disable = (Decision.Disable) decision;
            steps.add(new Step("Scope", "Success", "the user is out of scope (" + disable.reasonCode() + ": "
                    + disable.reason() + "): it is disabled if Druva has it"));
            operation = operation(event, OperationKind.DISABLE, null, null, null, disable.reasonCode(),
                    disable.reason(), now);
        } else {
            Decision.Delete delete = (Decision.Delete) decision;
            steps.add(
                    new Step("Scope", "Success", "the user was deleted in the source: it is deleted if Druva has it"));
            operation = operation(event, OperationKind.DELETE, null, null, null, "Deleted", delete.reason(), now);
        }
        return writer.execute(job, operation).chain(result -> {
            steps.add(match(result));
            steps.add(new Step("Action", result.status().name(), action(result)));
            return recorded(event, steps, result);
        });
    }

    private Uni<Outcome> recorded(AssignmentEvent event, List<Step> steps, ProvisioningResult result) {
        return log.record(result).map(ignored -> new Outcome(event.objectId(), ObjectType.USER.name(),
                event.displayName(), List.copyOf(steps), result, List.of()));
    }

    private static Step match(ProvisioningResult r) {
        if (ErrorCodes.DUPLICATE_TARGET_ENTRIES.equals(r.errorCode())) {
            return new Step("Match", "Failure", "more than one Druva user matched: " + r.reason());
        }
        if (ErrorCodes.NOT_MANAGED.equals(r.errorCode())) {
            return new Step("Match", "Skipped", "Druva has no user managed by this job for it");
        }
        if (r.action() == ProvisioningAction.Create) {
            return new Step("Match", "Success", "no Druva user matched: a new one is created");
        }
        if (r.targetId() != null) {
            return new Step("Match", "Success", "matched Druva user " + r.targetId());
        }
        return new Step("Match", r.status() == ProvisioningStatus.Failure ? "Failure" : "Skipped",
                r.reason() == null ? "no Druva user matched" : r.reason());
    }

    private static String action(ProvisioningResult r) {
        StringBuilder s = new StringBuilder(r.action().name());
        if (r.targetId() != null) {
            s.append(" Druva user ").append(r.targetId());
        }
        s.append(": ").append(r.status().name());
        if (r.errorCode() != null) {
            s.append(" (").append(r.errorCode()).append(')');
        }
        if (r.reason() != null) {
            s.append(": ").append(r.reason());
        }
        return s.toString();
    }

    private static Step notRun(String name) {
        return new Step(name, "Skipped", "not run: the user is not provisioned");
    }

    private static ProvisioningResult local(AssignmentEvent e, ProvisioningStatus status, String code,
            String reason) {
        return new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION,
                ProvisioningResult.idOf(e.jobId(), e.objectId(), e.cycleId(), e.eventId()), e.jobId(), e.cycleId(),
                e.eventId(), ObjectType.USER, e.objectId(), null, e.displayName(), ProvisioningAction.Other, status,
                code, reason, null, 0, 0, List.of(), REPORTER, Instant.now());
    }

    private static ScimOperation operation(AssignmentEvent event, OperationKind kind,
            java.util.Map<String, Object> attributes, java.util.Map<String, Object> createOnly,
            List<dev.provisioning.events.MatchingAttribute> matching, String reasonCode, String reason, Instant now) {
        return new ScimOperation(ScimOperation.SCHEMA_VERSION, event.eventId(), event.jobId(), event.cycleId(),
                ObjectType.USER, event.objectId(), event.displayName(), kind, attributes, createOnly, matching,
                event.members(), reasonCode, reason, now);
    }
}
