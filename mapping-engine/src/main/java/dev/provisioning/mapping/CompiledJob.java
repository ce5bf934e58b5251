package dev.provisioning.mapping;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.provisioning.events.Assignment;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.MatchingAttribute;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.MappingType;
import dev.provisioning.events.job.ProvisioningScope;
import dev.provisioning.events.job.TargetObjectActions;
import dev.provisioning.mapping.expression.AppRole;
import dev.provisioning.mapping.expression.EvaluationContext;
import dev.provisioning.mapping.expression.EvaluationException;
import dev.provisioning.mapping.expression.Expression;
import dev.provisioning.mapping.expression.Values;
import dev.provisioning.mapping.scoping.ScopeResult;
import dev.provisioning.mapping.scoping.ScopingFilters;

/**
 * A job's mappings, scoping filters and entitlement rules, compiled once by {@link MappingEngine#compile}. Immutable and
 * thread-safe: {@link #evaluateUser} may be called from any number of threads.
 *
 * <h2>Decision rules, in order</h2>
 * <ol>
 * <li>Not a user: {@code Skip(NotAUser)}.</li>
 * <li>{@code HARD_DELETED}: {@code Delete(TargetObjectNotManaged)} (the code is what is logged if the target has no such
 * user: nothing to delete), or {@code Skip(ActionDisabledByJob)} when the Delete action is off.</li>
 * <li>{@code IsSoftDeleted} is computed: true when the user is soft-deleted ({@code SOFT_DELETED}, code
 * {@code OutOfScope}), unassigned (scope "assigned only" and no assignment, code {@code NotEffectivelyEntitled}), only
 * Default Access (scope "assigned only" with {@code skipNotEffectivelyEntitled}, code {@code NotEffectivelyEntitled}),
 * disabled ({@code accountEnabled=false}, code {@code NotEffectivelyEntitled}, as Entra logs a disabled user) or
 * outside the scoping filters (code
 * {@code OutOfScope}). Under scope "all users" assignments are not required and the Default Access rule does not
 * apply.</li>
 * <li>When IsSoftDeleted is true the user is deprovisioned: {@code Disable(code)}, which never creates. Exceptions,
 * following Microsoft's "deprovisioning events" table (how-provisioning-works): with {@code skipOutOfScopeDeletions}
 * nothing is done for any of these cases ({@code Skip(code)}), since Entra documents that flag as the way to leave
 * unassigned, soft-deleted and blocked users alone, not only users outside the filters; when no mapping references
 * {@code IsSoftDeleted}, nothing is done either ({@code Skip(code)}), as Entra only disables through that mapping;
 * when the Update action is off, {@code Skip(ActionDisabledByJob)}. If the user is only out of scope because a
 * regular expression ran out of budget, {@code Fail(ScopingEvaluationFailed)}: nothing is disabled on an inconclusive
 * result.</li>
 * <li>Otherwise the mappings are evaluated (IsSoftDeleted false): {@code Upsert}, or {@code Fail(MandatoryFieldsMissing)}
 * when {@code userName} or the work email has no value, or {@code Fail(ExpressionEvaluationFailed)}. When both Create
 * and Update are off: {@code Skip(ActionDisabledByJob)}. When only one is off the writer applies it
 * ({@link #actions()}), since only it knows whether the user exists.</li>
 * </ol>
 */
public final class CompiledJob {

    /** Entra's virtual source attribute: true when the user is unassigned, out of scope, soft-deleted or disabled. */
    public static final String IS_SOFT_DELETED = "IsSoftDeleted";
    /**
     * Virtual source attribute: the app roles assigned to the user (Default Access excluded), each an
     * {@link dev.provisioning.mapping.expression.AppRole} with its id, value and display name; null when there are none.
     */
    public static final String APP_ROLE_ASSIGNMENTS = "appRoleAssignments";
    /** Virtual source attribute: the source object id, when the event's attributes do not carry it. */
    public static final String OBJECT_ID = "objectId";

    private static final Set<String> BOOLEAN_TARGETS = Set.of("active");

    private final String jobId;
    private final ProvisioningScope scope;
    private final boolean skipNotEffectivelyEntitled;
    private final boolean skipOutOfScopeDeletions;
    private final TargetObjectActions actions;
    private final List<CompiledMapping> mappings;
    private final List<CompiledMapping> matching;
    private final ScopingFilters filters;
    private final boolean softDeleteMapped;
    private final Set<String> redactedTargets;
    private final Clock clock;

    CompiledJob(JobConfig config, List<CompiledMapping> mappings, ScopingFilters filters, Clock clock) {
        this.jobId = config.jobId();
        this.scope = config.scope();
        this.skipNotEffectivelyEntitled = config.skipNotEffectivelyEntitled();
        this.skipOutOfScopeDeletions = config.skipOutOfScopeDeletions();
        this.actions = config.actions();
        this.mappings = List.copyOf(mappings);
        this.matching = mappings.stream().filter(m -> m.matchingPrecedence() > 0)
                .sorted(Comparator.comparingInt(CompiledMapping::matchingPrecedence)).toList();
        this.filters = filters;
        this.softDeleteMapped = mappings.stream().anyMatch(m -> references(m, IS_SOFT_DELETED));
        this.redactedTargets = Set.copyOf(mappings.stream()
                .filter(m -> m.expression() != null && m.expression().functions().contains("Redact"))
                .map(CompiledMapping::target).toList());
        this.clock = clock;
    }

    /** Whether a SCIM target attribute is a boolean ({@code active}, {@code ...primary}). */
    static boolean isBooleanTarget(String target) {
        String t = target == null ? "" : target.trim();
        return BOOLEAN_TARGETS.contains(t) || t.endsWith(".primary");
    }

    private static boolean references(CompiledMapping m, String attribute) {
        if (m.type() == MappingType.DIRECT) {
            return attribute.equalsIgnoreCase(m.source().trim());
        }
        return m.expression() != null
                && m.expression().attributes().stream().anyMatch(a -> a.equalsIgnoreCase(attribute));
    }

    /** The job this was compiled from. */
    public String jobId() {
        return jobId;
    }

    /** The job's target object actions: the writer checks {@code create}/{@code update} for an {@code Upsert}. */
    public TargetObjectActions actions() {
        return actions;
    }

    /** Target attributes whose values must show as {@code [Redact]} in provisioning logs (their mapping uses Redact). */
    public Set<String> redactedTargets() {
        return redactedTargets;
    }

    /** The target attributes used for matching, precedence 1 first. */
    public List<String> matchingTargets() {
        return matching.stream().map(CompiledMapping::target).toList();
    }

    /** Decides what to do in the target for one user or group: {@link #evaluateGroup} or {@link #evaluateUser}. */
    public Decision evaluate(AssignmentEvent event) {
        return event.objectType() == ObjectType.GROUP ? evaluateGroup(event) : evaluateUser(event);
    }

    /** Decides what to do in the target for one user. Pure and thread-safe; see the class comment for the rules. */
    public Decision evaluateUser(AssignmentEvent event) {
        if (event.objectType() != null && event.objectType() != ObjectType.USER) {
            return new Decision.Skip(ProvisioningAction.Other, ReasonCodes.NOT_A_USER,
                    "not a user: " + event.objectType());
        }
        if (event.change() == ChangeKind.HARD_DELETED) {
            return actions.delete()
                    ? new Decision.Delete(ErrorCodes.NOT_MANAGED, "deleted in the source")
                    : new Decision.Skip(ProvisioningAction.Delete, ErrorCodes.ACTION_DISABLED,
                            "deleted in the source, but the Delete action is off");
        }
        Map<String, Object> attributes = event.attributes();

        String code = null;
        String reason = null;
        boolean inconclusive = false;
        if (event.change() == ChangeKind.SOFT_DELETED) {
            code = ErrorCodes.OUT_OF_SCOPE;
            reason = "soft-deleted in the source";
        } else if (scope == ProvisioningScope.ASSIGNED_ONLY && event.assignments().isEmpty()) {
            code = ErrorCodes.NOT_EFFECTIVELY_ENTITLED;
            reason = "not assigned to the application";
        } else if (scope == ProvisioningScope.ASSIGNED_ONLY && skipNotEffectivelyEntitled
                && event.assignments().stream().allMatch(Assignment::isDefaultAccess)) {
            code = ErrorCodes.NOT_EFFECTIVELY_ENTITLED;
            reason = "not effectively entitled: the only assignment is Default Access";
        } else if (Boolean.FALSE.equals(Values.asBoolean(ScopingFilters.lookup(attributes, "accountEnabled")))) {
            code = ErrorCodes.NOT_EFFECTIVELY_ENTITLED;
            reason = "not effectively entitled: disabled in the source (accountEnabled=false, IsActive False)";
        } else {
            ScopeResult scoped = filters.evaluate(attributes);
            if (!scoped.inScope()) {
                code = ErrorCodes.OUT_OF_SCOPE;
                reason = scoped.reason();
                inconclusive = scoped.inconclusive();
            }
        }
        if (code != null) {
            return deprovision(code, reason, inconclusive);
        }
        if (!actions.create() && !actions.update()) {
            return new Decision.Skip(upsertAction(event), ErrorCodes.ACTION_DISABLED,
                    "the Create and Update actions are both off");
        }
        return map(event);
    }

    /**
     * Decides what to do in the target for one group, with Entra's default group mappings for SCIM (displayName to
     * displayName, objectId to externalId, members to members; matched on displayName). A group that is deleted in the
     * source or no longer assigned is deleted in the target (groups have no {@code active} flag to clear), with the
     * code the writer logs if Druva has no such group: {@code TargetObjectNotManaged} (hard-deleted), {@code OutOfScope}
     * (soft-deleted) or {@code NotEffectivelyEntitled} (unassigned, or only Default Access). The member list travels on
     * the event; the writer resolves it to Druva ids and leaves out members it does not manage.
     */
    public Decision evaluateGroup(AssignmentEvent event) {
        if (event.objectType() != ObjectType.GROUP) {
            return new Decision.Skip(ProvisioningAction.Other, ReasonCodes.NOT_A_USER,
                    "not a group: " + event.objectType());
        }
        String code = null;
        String gone = null;
        if (event.change() == ChangeKind.HARD_DELETED) {
            code = ErrorCodes.NOT_MANAGED;
            gone = "deleted in the source";
        } else if (event.change() == ChangeKind.SOFT_DELETED) {
            code = ErrorCodes.OUT_OF_SCOPE;
            gone = "soft-deleted in the source";
        } else if (scope == ProvisioningScope.ASSIGNED_ONLY && event.assignments().isEmpty()) {
            code = ErrorCodes.NOT_EFFECTIVELY_ENTITLED;
            gone = "not assigned to the application";
        } else if (scope == ProvisioningScope.ASSIGNED_ONLY && skipNotEffectivelyEntitled
                && event.assignments().stream().allMatch(Assignment::isDefaultAccess)) {
            code = ErrorCodes.NOT_EFFECTIVELY_ENTITLED;
            gone = "not effectively entitled: the only assignment is Default Access";
        }
        if (gone != null) {
            return actions.delete()
                    ? new Decision.Delete(code, gone)
                    : new Decision.Skip(ProvisioningAction.Delete, ErrorCodes.ACTION_DISABLED,
                            gone + ", but the Delete action is off");
        }
        Object displayName = event.attributes().get("displayName");
        if (displayName == null || displayName.toString().isBlank()) {
            return new Decision.Fail(upsertAction(event), ErrorCodes.MANDATORY_FIELDS_MISSING,
                    "the group has no displayName, which the target requires");
        }
        if (!actions.create() && !actions.update()) {
            return new Decision.Skip(upsertAction(event), ErrorCodes.ACTION_DISABLED,
                    "the Create and Update actions are both off");
        }
        return new Decision.Upsert(Map.of("displayName", displayName.toString(), "externalId", event.objectId()),
                Map.of(),
                List.of(new MatchingAttribute("displayName", displayName.toString(), 1)));
    }

    private Decision deprovision(String code, String reason, boolean inconclusive) {
        if (skipOutOfScopeDeletions) {
            return new Decision.Skip(ProvisioningAction.Disable, code,
                    reason + "; not disabled because SkipOutOfScopeDeletions is on");
        }
        if (!softDeleteMapped) {
            return new Decision.Skip(ProvisioningAction.Disable, code,
                    reason + "; not disabled because no mapping uses " + IS_SOFT_DELETED);
        }
        if (!actions.update()) {
            return new Decision.Skip(ProvisioningAction.Disable, ErrorCodes.ACTION_DISABLED,
                    reason + "; not disabled because the Update action is off");
        }
        if (inconclusive) {
            return new Decision.Fail(ProvisioningAction.Disable, ReasonCodes.SCOPING_EVALUATION_FAILED, reason);
        }
        return new Decision.Disable(code, reason);
    }

    /**
     * The action of an object in scope that is not sent (a failure before matching, or Create and Update both off):
     * Entra logs the action it was about to take, known after matching: Create when the target does not have the
     * object (howto-analyze-provisioning-logs, {@code MandatoryFieldsMissing}: "The user couldn't be created because
     * required values are missing"), Update when it does. The event says whether the job holds the object in Druva
     * ({@code inTarget}), so a user that never could be created stays a Create in every cycle; an event that does not
     * say (an earlier version's) falls back to the source's view: {@code ADDED} (first seen) is a Create, any other an
     * Update.
     */
    static ProvisioningAction upsertAction(AssignmentEvent event) {
        if (event.inTarget() != null) {
            return event.inTarget() ? ProvisioningAction.Update : ProvisioningAction.Create;
        }
        return event.change() == ChangeKind.ADDED ? ProvisioningAction.Create : ProvisioningAction.Update;
    }

    private Decision map(AssignmentEvent event) {
        Context context = new Context(event, clock);
        Map<String, Object> attributes = new HashMap<>();
        Map<String, Object> createOnly = new HashMap<>();
        for (CompiledMapping m : mappings) {
            MappingValue v = value(m, context);
            switch (v.outcome()) {
                case FAILED -> {
                    return new Decision.Fail(upsertAction(event), ReasonCodes.EXPRESSION_EVALUATION_FAILED,
                            "userMappings[" + m.index() + "] (" + m.target() + "): " + v.error());
                }
                case SENT -> (v.createOnly() ? createOnly : attributes).put(m.target(), v.value());
                case DEFAULT_ON_CREATE -> createOnly.put(m.target(), v.value());
                case NOT_SENT, IGNORED -> {
                    // nothing flows for this target
                }
            }
        }
        List<String> missing = null;
        for (String target : DruvaDefaults.MANDATORY_TARGETS) {
            if (isBlank(attributes.get(target)) && isBlank(createOnly.get(target))) {
                if (missing == null) {
                    missing = new ArrayList<>(2);
                }
                missing.add(target);
            }
        }
        if (missing != null) {
            missing.sort(null);
            return new Decision.Fail(upsertAction(event), ErrorCodes.MANDATORY_FIELDS_MISSING,
                    "Druva requires " + String.join(" and ", missing) + ", which "
                            + (missing.size() == 1 ? "has" : "have")
                            + " no value for this user");
        }
        List<MatchingAttribute> match = new ArrayList<>(matching.size());
        for (CompiledMapping m : matching) {
            Object value = attributes.get(m.target());
            if (value == null) {
                value = createOnly.get(m.target());
            }
            if (!isBlank(value)) {
                // a blank value matches nothing: Entra requires a value for a matching attribute
                match.add(new MatchingAttribute(m.target(), Values.str(value), m.matchingPrecedence()));
            }
        }
        return new Decision.Upsert(attributes, createOnly, match);
    }

    /**
     * What one mapping gives the user behind {@code context}: the one evaluation both {@link #map} and
     * {@link MappingEngine#evaluateMapping} use. A null value (or an empty one for a boolean target) is not sent; its
     * default value, if any, is sent on create only.
     */
    static MappingValue value(CompiledMapping m, EvaluationContext context) {
        Object value;
        try {
            value = switch (m.type()) {
                case DIRECT -> context.attribute(m.source());
                case CONSTANT -> m.source();
                case EXPRESSION -> m.expression().evaluate(context);
                case NONE -> null;
            };
        } catch (EvaluationException e) {
            return MappingValue.failed(e.getMessage());
        }
        if (value == Expression.IGNORE) {
            return new MappingValue(MappingValue.Outcome.IGNORED, null, false, null);
        }
        value = targetValue(value);
        if (value == null || (m.booleanTarget() && isBlank(value))) {
            return m.defaultValue() != null
                    ? new MappingValue(MappingValue.Outcome.DEFAULT_ON_CREATE, m.defaultValue(), true, null)
                    : new MappingValue(MappingValue.Outcome.NOT_SENT, null, false, null);
        }
        if (m.booleanTarget()) {
            Boolean b = Values.asBoolean(value);
            if (b == null) {
                return MappingValue.failed("expected True or False, found '" + Values.str(value) + "'");
            }
            value = b;
        }
        return MappingValue.sent(value, m.createOnly());
    }

    /** The attributes an expression sees for {@code event}, as {@link #map} sees them. */
    static EvaluationContext context(AssignmentEvent event, Clock clock) {
        return new Context(event, clock);
    }

    private static boolean isBlank(Object value) {
        return value == null || (value instanceof String s && s.isBlank());
    }

    /**
     * The roles of the user's assignments, once each (a role reached directly and through a group is one role), in the
     * event's order; null when there are none. A role that one assignment names only by id takes its value and display
     * name from another assignment of the same role that has them.
     */
    static List<AppRole> appRoles(List<Assignment> assignments) {
        Map<String, AppRole> roles = null;
        for (Assignment a : assignments) {
            if (a.isDefaultAccess() || a.appRoleId() == null) {
                continue;
            }
            if (roles == null) {
                roles = new LinkedHashMap<>();
            }
            AppRole known = roles.get(a.appRoleId());
            if (known == null || (known.value() == null && known.displayName() == null)) {
                roles.put(a.appRoleId(), new AppRole(a.appRoleId(), a.appRoleValue(), a.appRoleDisplayName()));
            }
        }
        return roles == null ? null : List.copyOf(roles.values());
    }

    /**
     * A mapped value as the target receives it, or null for none: a date-time and an app role as their string form,
     * lists item by item, and an empty list as no value (nulls and empty multi-valued attributes are never sent).
     */
    private static Object targetValue(Object value) {
        if (value instanceof OffsetDateTime || value instanceof AppRole) {
            return Values.str(value);
        }
        if (value instanceof List<?> list) {
            if (list.isEmpty()) {
                return null;
            }
            for (Object item : list) {
                if (item instanceof OffsetDateTime || item instanceof AppRole) {
                    return list.stream().map(i -> i instanceof OffsetDateTime || i instanceof AppRole
                            ? Values.str(i)
                            : i).toList();
                }
            }
        }
        return value;
    }

    /** The attributes an expression sees: the event's, plus the virtual ones. One per evaluation. */
    private static final class Context implements EvaluationContext {

        private final AssignmentEvent event;
        private final Clock clock;

        Context(AssignmentEvent event, Clock clock) {
            this.event = event;
            this.clock = clock;
        }

        @Override
        public Object attribute(String name) {
            Object value = ScopingFilters.lookup(event.attributes(), name);
            if (value != null) {
                return value;
            }
            if (IS_SOFT_DELETED.equalsIgnoreCase(name)) {
                // Only users in scope are mapped, so IsSoftDeleted is false here.
                return Boolean.FALSE;
            }
            if (APP_ROLE_ASSIGNMENTS.equalsIgnoreCase(name)) {
                return appRoles(event.assignments());
            }
            if (OBJECT_ID.equalsIgnoreCase(name)) {
                return event.objectId();
            }
            return null;
        }

        @Override
        public Clock clock() {
            return clock;
        }
    }
}
