package dev.provisioning.mapping;

import static dev.provisioning.mapping.Fixtures.DEFAULT_ACCESS;
import static dev.provisioning.mapping.Fixtures.USER_ROLE;
import static dev.provisioning.mapping.Fixtures.typicalUser;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.provisioning.events.Assignment;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.OperationKind;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.TargetNotManaged;
import dev.provisioning.events.job.ApplyMode;
import dev.provisioning.events.job.AttributeMapping;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.MappingType;
import dev.provisioning.events.job.ScopingClause;
import dev.provisioning.events.job.ScopingFilter;
import dev.provisioning.events.job.ScopingOperator;
import dev.provisioning.events.job.TargetObjectActions;

/**
 * Every decision of the engine, through the one planner, as the provisioning log shows it: what is emitted (an
 * operation of which kind, or a result) with Entra's action, status and code. When the writer finds no managed object
 * for a DISABLE or DELETE, {@link TargetNotManaged} says what it logs instead.
 */
class OperationPlannerTest {

    static final TargetObjectActions ALL = TargetObjectActions.ALL;
    static final TargetObjectActions NO_DELETE = new TargetObjectActions(true, true, false);
    static final TargetObjectActions NO_UPDATE = new TargetObjectActions(true, false, true);
    static final TargetObjectActions NO_CREATE_UPDATE = new TargetObjectActions(false, false, true);
    static final List<ScopingFilter> SALES_ONLY = List.of(
            new ScopingFilter("sales", List.of(new ScopingClause("department", ScopingOperator.EQUALS, "Sales"))));
    static final List<ScopingFilter> EVIL_REGEX = List.of(new ScopingFilter("evil",
            List.of(new ScopingClause("department", ScopingOperator.REGEX_MATCH, "((a+)+)+b"))));
    static final List<AttributeMapping> NO_SOFT_DELETE = List.of(
            new AttributeMapping(MappingType.DIRECT, "userPrincipalName", "userName", null, ApplyMode.ALWAYS, 1),
            new AttributeMapping(MappingType.DIRECT, "mail", "emails[type eq \"work\"].value", null, ApplyMode.ALWAYS,
                    0));
    static final List<AttributeMapping> HIRE_DATE = Stream.concat(DruvaDefaults.userMappings().stream(),
            Stream.of(new AttributeMapping(MappingType.EXPRESSION, "CDate([hireDate])", "urn:hireDate", null,
                    ApplyMode.ALWAYS, 0)))
            .toList();

    /**
     * case; job; event; expected: the operation kind (null for a result), the action, status and code of the result
     * (for an operation: the reason code it carries, and action/status are the writer's, so null).
     */
    static Stream<Arguments> decisions() {
        Map<String, Object> marketing = with("department", "Marketing");
        Map<String, Object> disabled = with("accountEnabled", false);
        Map<String, Object> noMail = without("mail");
        Map<String, Object> badDate = with("hireDate", "not a date");
        Map<String, Object> evil = with("department", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!");
        List<Assignment> role = List.of(USER_ROLE);
        return Stream.of(
                // users in scope
                row("user in scope", job(ALL), user(ChangeKind.ADDED, typicalUser(), role),
                        OperationKind.UPSERT, null, null, null),
                row("user without email, first seen", job(ALL), user(ChangeKind.ADDED, noMail, role),
                        null, ProvisioningAction.Create, ProvisioningStatus.Failure, "MandatoryFieldsMissing"),
                row("user without email, seen before", job(ALL), user(ChangeKind.UPDATED, noMail, role),
                        null, ProvisioningAction.Update, ProvisioningStatus.Failure, "MandatoryFieldsMissing"),
                // the detector says whether Druva holds the user: that decides, as Entra's matching does
                row("user without email, seen before, never created", job(ALL),
                        inTarget(user(ChangeKind.UPDATED, noMail, role), false),
                        null, ProvisioningAction.Create, ProvisioningStatus.Failure, "MandatoryFieldsMissing"),
                row("user without email, first seen by a restarted job, in Druva", job(ALL),
                        inTarget(user(ChangeKind.ADDED, noMail, role), true),
                        null, ProvisioningAction.Update, ProvisioningStatus.Failure, "MandatoryFieldsMissing"),
                row("expression that cannot be evaluated", job(HIRE_DATE, List.of(), ALL, false),
                        user(ChangeKind.ADDED, badDate, role),
                        null, ProvisioningAction.Create, ProvisioningStatus.Failure, "ExpressionEvaluationFailed"),
                row("Create and Update both off", job(NO_CREATE_UPDATE), user(ChangeKind.UPDATED, typicalUser(), role),
                        null, ProvisioningAction.Update, ProvisioningStatus.Skipped, "ActionDisabledByJob"),
                // users out of scope: disabled if Druva has them
                row("user not assigned", job(ALL), user(ChangeKind.UPDATED, typicalUser(), List.of()),
                        OperationKind.DISABLE, null, null, "NotEffectivelyEntitled"),
                row("user with only Default Access", job(ALL), user(ChangeKind.ADDED, typicalUser(),
                        List.of(DEFAULT_ACCESS)), OperationKind.DISABLE, null, null, "NotEffectivelyEntitled"),
                row("user disabled in the source", job(ALL), user(ChangeKind.UPDATED, disabled, role),
                        OperationKind.DISABLE, null, null, "NotEffectivelyEntitled"),
                row("user soft-deleted in the source", job(ALL), user(ChangeKind.SOFT_DELETED, typicalUser(), role),
                        OperationKind.DISABLE, null, null, "OutOfScope"),
                row("user outside the scoping filters", job(List.of(), SALES_ONLY, ALL, false),
                        user(ChangeKind.UPDATED, marketing, role), OperationKind.DISABLE, null, null, "OutOfScope"),
                row("out of scope, SkipOutOfScopeDeletions", job(List.of(), SALES_ONLY, ALL, true),
                        user(ChangeKind.UPDATED, marketing, role),
                        null, ProvisioningAction.Disable, ProvisioningStatus.Skipped, "OutOfScope"),
                row("out of scope, no IsSoftDeleted mapping", job(NO_SOFT_DELETE, List.of(), ALL, false),
                        user(ChangeKind.UPDATED, typicalUser(), List.of()),
                        null, ProvisioningAction.Disable, ProvisioningStatus.Skipped, "NotEffectivelyEntitled"),
                row("out of scope, Update off", job(NO_UPDATE), user(ChangeKind.UPDATED, typicalUser(), List.of()),
                        null, ProvisioningAction.Disable, ProvisioningStatus.Skipped, "ActionDisabledByJob"),
                row("scoping regex out of budget", job(List.of(), EVIL_REGEX, ALL, false),
                        user(ChangeKind.UPDATED, evil, role),
                        null, ProvisioningAction.Disable, ProvisioningStatus.Failure, "ScopingEvaluationFailed"),
                // users deleted in the source
                row("user hard-deleted", job(ALL), user(ChangeKind.HARD_DELETED, Map.of(), List.of()),
                        OperationKind.DELETE, null, null, "TargetObjectNotManaged"),
                row("user hard-deleted, Delete off", job(NO_DELETE), user(ChangeKind.HARD_DELETED, Map.of(), List.of()),
                        null, ProvisioningAction.Delete, ProvisioningStatus.Skipped, "ActionDisabledByJob"),
                // groups
                row("group assigned", job(ALL), group(ChangeKind.ADDED, "Sales", role),
                        OperationKind.UPSERT, null, null, null),
                row("group without displayName", job(ALL), group(ChangeKind.ADDED, null, role),
                        null, ProvisioningAction.Create, ProvisioningStatus.Failure, "MandatoryFieldsMissing"),
                row("group not assigned", job(ALL), group(ChangeKind.UPDATED, "Sales", List.of()),
                        OperationKind.DELETE, null, null, "NotEffectivelyEntitled"),
                row("group with only Default Access", job(ALL), group(ChangeKind.ADDED, "Contractors",
                        List.of(DEFAULT_ACCESS)), OperationKind.DELETE, null, null, "NotEffectivelyEntitled"),
                row("group soft-deleted", job(ALL), group(ChangeKind.SOFT_DELETED, "Sales", role),
                        OperationKind.DELETE, null, null, "OutOfScope"),
                row("group hard-deleted", job(ALL), group(ChangeKind.HARD_DELETED, "Sales", List.of()),
                        OperationKind.DELETE, null, null, "TargetObjectNotManaged"),
                row("group not assigned, Delete off", job(NO_DELETE), group(ChangeKind.UPDATED, "Sales", List.of()),
                        null, ProvisioningAction.Delete, ProvisioningStatus.Skipped, "ActionDisabledByJob"),
                row("group assigned, Create and Update off", job(NO_CREATE_UPDATE),
                        group(ChangeKind.ADDED, "Sales", role),
                        null, ProvisioningAction.Create, ProvisioningStatus.Skipped, "ActionDisabledByJob"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decisions")
    void everyDecisionIsEmittedWithEntrasActionStatusAndCode(String name, JobConfig job, AssignmentEvent event,
            OperationKind kind, ProvisioningAction action, ProvisioningStatus status, String code) {
        Decision decision = MappingEngine.compile(job).evaluate(event);

        OperationPlanner.Plan plan = OperationPlanner.plan(event, decision, Instant.EPOCH, "mapper-service");

        if (kind != null) {
            assertThat(plan.result()).isNull();
            ScimOperation op = plan.operation();
            assertThat(op.kind()).isEqualTo(kind);
            assertThat(op.reasonCode()).isEqualTo(code);
            assertThat(op.operationId()).isEqualTo(event.eventId());
            assertThat(op.objectType()).isEqualTo(event.objectType());
        } else {
            assertThat(plan.operation()).isNull();
            ProvisioningResult r = plan.result();
            assertThat(r.action()).isEqualTo(action);
            assertThat(r.status()).isEqualTo(status);
            assertThat(r.errorCode()).isEqualTo(code);
            assertThat(r.reason()).isNotBlank();
            assertThat(r.reportedBy()).isEqualTo("mapper-service");
            assertThat(r.resultId())
                    .isEqualTo(ProvisioningResult.idOf(event.jobId(), event.objectId(), event.cycleId(),
                            event.eventId()));
        }
    }

    /**
     * An event mapped twice (a redelivery after a crash, or two mapper replicas during a rebalance, each mapping the
     * records of the partition it lost or gained) yields the same operation: the writer takes the second as a
     * redelivery ({@code processed_operation}), and a later copy of an object's earlier operation never carries a
     * later time than its next one (the writer would take that next one as older than the copy waiting in its escrow
     * and report it obsolete, so the object would end in its earlier state).
     */
    @Test
    void anEventMappedTwiceAtDifferentTimesYieldsTheSameOperationStampedWithItsObservation() {
        Instant observed = Instant.parse("2026-12-03T10:00:00Z");
        AssignmentEvent event = new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, "e-1", "job-1", "c-1", false,
                ObjectType.USER, "u-1", ChangeKind.UPDATED, typicalUser(), List.of(USER_ROLE), List.of(), observed);
        CompiledJob compiled = MappingEngine.compile(job(ALL));

        ScimOperation first = OperationPlanner.plan(event, compiled.evaluate(event),
                observed.plusSeconds(1), "mapper-service").operation();
        ScimOperation again = OperationPlanner.plan(event, compiled.evaluate(event),
                observed.plusSeconds(60), "mapper-service").operation();

        assertThat(again).isEqualTo(first);
        assertThat(first.createdAt()).isEqualTo(observed);
    }

    /** The case of the field report: a never-provisioned group assigned only with Default Access (the demo's). */
    @Test
    void aNeverProvisionedGroupOutOfScopeIsASkippedCreateNotEntitledNotADeleteWithReasonDeleted() {
        AssignmentEvent contractors = group(ChangeKind.ADDED, "Contractors", List.of(DEFAULT_ACCESS));
        ScimOperation op = OperationPlanner.plan(contractors, MappingEngine.compile(job(ALL)).evaluate(contractors),
                Instant.EPOCH, "mapper-service").operation();

        TargetNotManaged logged = TargetNotManaged.of(op);

        assertThat(logged.action()).isEqualTo(ProvisioningAction.Create);
        assertThat(logged.code()).isEqualTo("NotEffectivelyEntitled");
        assertThat(logged.reason()).contains("Default Access").contains("no such group");
    }

    static Stream<Arguments> notManaged() {
        return Stream.of(
                arguments(OperationKind.DISABLE, ObjectType.USER, "NotEffectivelyEntitled", ProvisioningAction.Create,
                        "NotEffectivelyEntitled"),
                // the code earlier versions gave a disabled user, on an operation still queued: logged as Entra does
                arguments(OperationKind.DISABLE, ObjectType.USER, "SourceObjectDisabled", ProvisioningAction.Create,
                        "NotEffectivelyEntitled"),
                arguments(OperationKind.DISABLE, ObjectType.USER, "OutOfScope", ProvisioningAction.Create,
                        "OutOfScope"),
                arguments(OperationKind.DELETE, ObjectType.GROUP, "NotEffectivelyEntitled", ProvisioningAction.Create,
                        "NotEffectivelyEntitled"),
                arguments(OperationKind.DELETE, ObjectType.USER, "TargetObjectNotManaged", ProvisioningAction.Other,
                        "TargetObjectNotManaged"),
                arguments(OperationKind.DELETE, ObjectType.GROUP, null, ProvisioningAction.Other,
                        "TargetObjectNotManaged"));
    }

    @ParameterizedTest(name = "{0} {1} {2} -> {3} {4}")
    @MethodSource("notManaged")
    void whatTheWriterLogsWhenTheTargetHasNoSuchObject(OperationKind kind, ObjectType type, String reasonCode,
            ProvisioningAction action, String code) {
        ScimOperation op = new ScimOperation(1, "e", "job-1", "c", type, "o", "Name", kind, null, null, null, null,
                reasonCode, "why", Instant.EPOCH);

        TargetNotManaged logged = TargetNotManaged.of(op);

        assertThat(logged.action()).isEqualTo(action);
        assertThat(logged.code()).isEqualTo(code);
        assertThat(logged.reason()).contains("why");
    }

    private static Arguments row(String name, JobConfig job, AssignmentEvent event, OperationKind kind,
            ProvisioningAction action, ProvisioningStatus status, String code) {
        return arguments(name, job, event, kind, action, status, code);
    }

    private static JobConfig job(TargetObjectActions actions) {
        return job(List.of(), List.of(), actions, false);
    }

    private static JobConfig job(List<AttributeMapping> mappings, List<ScopingFilter> filters,
            TargetObjectActions actions, boolean skipOutOfScopeDeletions) {
        return Fixtures.job(mappings, filters, actions, skipOutOfScopeDeletions);
    }

    private static AssignmentEvent user(ChangeKind change, Map<String, Object> attributes, List<Assignment> roles) {
        return Fixtures.event(change, attributes, roles);
    }

    private static AssignmentEvent inTarget(AssignmentEvent e, boolean inTarget) {
        return new AssignmentEvent(e.schemaVersion(), e.eventId(), e.jobId(), e.cycleId(), e.fullCycle(),
                e.objectType(), e.objectId(), e.change(), e.attributes(), e.assignments(), e.members(), e.observedAt(),
                inTarget);
    }

    private static AssignmentEvent group(ChangeKind change, String name, List<Assignment> assignments) {
        Map<String, Object> attributes = name == null ? Map.of() : Map.of("displayName", name);
        return new AssignmentEvent(1, "e-g", "job-1", "c-1", false, ObjectType.GROUP, "g1", change, attributes,
                assignments, List.of("u1"), Instant.EPOCH);
    }

    private static Map<String, Object> with(String key, Object value) {
        Map<String, Object> a = typicalUser();
        a.put(key, value);
        return a;
    }

    private static Map<String, Object> without(String key) {
        Map<String, Object> a = typicalUser();
        a.remove(key);
        return a;
    }
}
