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

import dev.provisioning.detector.persistence.ManagedObjectRepository;
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
import dev.provisioning.events.TargetNotManaged;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.mapping.CompiledJob;
import dev.provisioning.mapping.Decision;
import dev.provisioning.mapping.MappingEngine;
import dev.provisioning.mapping.OperationPlanner;
import dev.provisioning.telemetry.Plural;

/**
 * Entra's "Provision on demand": one user, or a group with at most {@value #MAX_GROUP_MEMBERS} members, now, with the
 * steps Import, Scope, Match and Action. The source is read as a cycle reads it, the mapping engine decides as the
 * mapper does, and the scim-writer executes the operation synchronously. Results are written to the provisioning log
 * under a cycle id of their own ({@code on-demand-...}); the cycles' snapshot does not move.
 */
@ApplicationScoped
public class ProvisionOnDemand {

    public static final int MAX_GROUP_MEMBERS = 5;
    /** What the id of a provision on demand's cycle starts with; a UUID follows. */
    public static final String CYCLE_PREFIX = "on-demand-";
    static final String REPORTER = "change-detector";

    private final DirectorySources sources;
    private final SnapshotRepository snapshots;
    private final WriterClient writer;
    private final ProvisioningLogRepository log;
    private final ManagedObjectRepository managed;

    public ProvisionOnDemand(DirectorySources sources, SnapshotRepository snapshots, WriterClient writer,
            ProvisioningLogRepository log, ManagedObjectRepository managed) {
        this.managed = managed;
        this.sources = sources;
        this.snapshots = snapshots;
        this.writer = writer;
        this.log = log;
    }

    /**
     * The object cannot be provisioned on demand: unknown in the job's source, or a group with too many members. The
     * message says which, for the {@code objectId} of the request.
     */
    public static final class InvalidObjectException extends RuntimeException {

        InvalidObjectException(String message) {
            super(message);
        }
    }

    /** One step and its outcome: {@code status} is Success, Failure, Skipped or Warning. */
    public record Step(String name, String status, String detail) {
    }

    /**
     * What happened to one object. For a group, {@code members} holds each member's own steps and result, provisioned
     * before the group so that the group's members can be sent.
     *
     * @param result the outcome as the provisioning log records it
     */
    public record Outcome(String objectId, String objectType, String displayName, List<Step> steps,
            ProvisioningResult result, List<Outcome> members) {
    }

    public Uni<Outcome> provision(JobConfig job, String objectId) {
        if (objectId == null || objectId.isBlank()) {
            return Uni.createFrom()
                    .failure(new InvalidObjectException("is required: the source id of a user or a group"));
        }
        String cycleId = CYCLE_PREFIX + UUID.randomUUID();
        CompiledJob engine = MappingEngine.compile(job);
        return Uni.createFrom().item(() -> sources.forJob(job).read())
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .chain(directory -> snapshots.load(job.jobId()).chain(snapshot -> {
                    Optional<Directory.SourceUser> user = directory.users().stream()
                            .filter(u -> u.id().equals(objectId)).findFirst();
                    if (user.isPresent()) {
                        return managed.among(job.jobId(), List.of(objectId)).chain(inTarget -> user(job, engine,
                                cycleId, directory, user.get(), snapshot.contains(objectId),
                                inTarget.contains(objectId)));
                    }
                    Optional<Directory.SourceGroup> group = directory.groups().stream()
                            .filter(g -> g.id().equals(objectId)).findFirst();
                    if (group.isEmpty()) {
                        return Uni.createFrom().failure(new InvalidObjectException(
                                "no user or group with id '" + objectId + "' in the job's source"));
                    }
                    Directory.SourceGroup g = group.get();
                    if (g.members().size() > MAX_GROUP_MEMBERS) {
                        return Uni.createFrom().failure(new InvalidObjectException("group '" + g.displayName()
                                + "' has " + Plural.of(g.members().size(), "member")
                                + ": provision on demand takes a group with at "
                                + "most " + MAX_GROUP_MEMBERS + " members"));
                    }
                    List<Directory.SourceUser> members = directory.users().stream()
                            .filter(u -> g.members().contains(u.id())).toList();
                    List<String> ids = new ArrayList<>(members.stream().map(Directory.SourceUser::id).toList());
                    ids.add(g.id());
                    return managed.among(job.jobId(), ids).chain(inTarget -> {
                        AssignmentEvent event = CyclePlanner.groupEvent(job.jobId(), cycleId, directory, g,
                                snapshot.contains(g.id()), inTarget.contains(g.id()), Instant.now());
                        Step imported = new Step("Import", "Success", "read group '" + g.displayName() + "' ("
                                + Plural.of(event.assignments().size(), "assignment") + ") with "
                                + Plural.of(g.members().size(), "direct member", "direct members")
                                + " from the source: the members are provisioned first, then the group");
                        return Multi.createFrom().iterable(members)
                                .onItem().transformToUniAndConcatenate(
                                        m -> user(job, engine, cycleId, directory, m, snapshot.contains(m.id()),
                                                inTarget.contains(m.id())))
                                .collect().asList()
                                .chain(outcomes -> provision(job, engine, event, imported, outcomes));
                    });
                }));
    }

    private Uni<Outcome> user(JobConfig job, CompiledJob engine, String cycleId, Directory directory,
            Directory.SourceUser user, boolean known, boolean inTarget) {
        AssignmentEvent event = CyclePlanner.userEvent(job.jobId(), cycleId, directory, user, known, inTarget,
                Instant.now());
        return provision(job, engine, event, new Step("Import", "Success", "read user '" + event.displayName() + "' ("
                + Plural.of(event.assignments().size(), "assignment") + ") from the source"), List.of());
    }

    /**
     * Scope, Match and Action for one object, as the mapper and the scim-writer do them in a cycle: the mapping engine's
     * {@link OperationPlanner} turns the engine's decision into the operation or the result, exactly as the mapper does,
     * so on-demand and cycles cannot disagree; only the steps' wording is this class's own.
     */
    private Uni<Outcome> provision(JobConfig job, CompiledJob engine, AssignmentEvent event, Step imported,
            List<Outcome> members) {
        String noun = noun(event.objectType());
        List<Step> steps = new ArrayList<>();
        steps.add(imported);
        Decision decision = engine.evaluate(event);
        OperationPlanner.Plan plan = OperationPlanner.plan(event, decision, Instant.now(), REPORTER);
        if (plan.result() != null) {
            ProvisioningResult result = plan.result();
            String said = result.errorCode() + ": " + result.reason();
            if (result.status() == ProvisioningStatus.Skipped) {
                steps.add(new Step("Scope", "Skipped", said));
                steps.add(notRun("Match", noun));
                steps.add(notRun("Action", noun));
            } else {
                steps.add(new Step("Scope", "Success", "the " + noun + " is in scope"));
                steps.add(new Step("Match", "Skipped", "not run: nothing can be sent to Druva"));
                steps.add(new Step("Action", "Failure", said));
            }
            return recorded(event, steps, result, members);
        }
        ScimOperation operation = plan.operation();
        Step scope = new Step("Scope", "Success", switch (operation.kind()) {
            case UPSERT -> "the " + noun + " is in scope";
            case DISABLE -> "the " + noun + " is out of scope (" + operation.reasonCode() + ": " + operation.reason()
                    + "): it is disabled if Druva has it";
            case DELETE -> "the " + noun + " is out of scope (" + operation.reasonCode() + ": " + operation.reason()
                    + "): it is deleted if Druva has it";
        });
        return writer.execute(job, operation).chain(result -> {
            if (neverProvisioned(operation, result)) {
                steps.add(new Step("Scope", "Skipped", result.errorCode() + ": " + result.reason()));
                steps.add(new Step("Match", "Skipped", "Druva has no " + noun + " managed by this job for it"));
                steps.add(new Step("Action", "Skipped", "not run: nothing is created for a " + noun + " out of scope"));
                return recorded(event, steps, result, members);
            }
            steps.add(scope);
            steps.add(match(operation, result, noun));
            steps.add(new Step("Action", result.status().name(), action(result, noun)));
            return recorded(event, steps, result, members);
        });
    }

    private static String noun(ObjectType type) {
        return type == ObjectType.GROUP ? "group" : "user";
    }

    private Uni<Outcome> recorded(AssignmentEvent event, List<Step> steps, ProvisioningResult result,
            List<Outcome> members) {
        return log.record(result).map(ignored -> new Outcome(event.objectId(), event.objectType().name(),
                event.displayName(), List.copyOf(steps), result, members));
    }

    /**
     * Whether the writer skipped a DISABLE or DELETE because the object is out of scope and was never provisioned (the
     * skipped Create of {@link TargetNotManaged}, code {@code NotEffectivelyEntitled} or {@code OutOfScope}). Such an
     * object stops at Entra's "Determine if user is in scope" (provision-on-demand.md, Step 3): nothing is matched or
     * created, and Entra logs a skipped Create with the skip reason. Its steps are then Scope Skipped with that code
     * and reason, Match Skipped (Druva has none) and Action Skipped (not run), as the console's log detail
     * ({@code logs.js} steps()) shows the same record.
     */
    private static boolean neverProvisioned(ScimOperation operation, ProvisioningResult result) {
        if (operation.kind() == OperationKind.UPSERT || result.status() != ProvisioningStatus.Skipped) {
            return false;
        }
        TargetNotManaged skipped = TargetNotManaged.of(operation);
        return skipped.action() == ProvisioningAction.Create && result.action() == ProvisioningAction.Create
                && skipped.code().equals(result.errorCode());
    }

    private static Step match(ScimOperation operation, ProvisioningResult r, String noun) {
        if (ErrorCodes.DUPLICATE_TARGET_ENTRIES.equals(r.errorCode())) {
            return new Step("Match", "Failure", "more than one Druva " + noun + " matched: " + r.reason());
        }
        // a disable or delete that found nothing to do, not out of scope (TargetNotManaged's Other: nothing to change)
        if (operation.kind() != OperationKind.UPSERT && r.status() == ProvisioningStatus.Skipped
                && r.targetId() == null) {
            return new Step("Match", "Skipped", "Druva has no " + noun + " managed by this job for it");
        }
        if (r.action() == ProvisioningAction.Create) {
            return new Step("Match", "Success", "no Druva " + noun + " matched: a new one is created");
        }
        if (r.targetId() != null) {
            return new Step("Match", "Success", "matched Druva " + noun + " " + r.targetId());
        }
        return new Step("Match", r.status() == ProvisioningStatus.Failure ? "Failure" : "Skipped",
                r.reason() == null ? "no Druva " + noun + " matched" : r.reason());
    }

    private static String action(ProvisioningResult r, String noun) {
        StringBuilder s = new StringBuilder(r.action().name());
        if (r.targetId() != null) {
            s.append(" Druva ").append(noun).append(' ').append(r.targetId());
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

    private static Step notRun(String name, String noun) {
        return new Step(name, "Skipped", "not run: the " + noun + " is not provisioned");
    }
}
