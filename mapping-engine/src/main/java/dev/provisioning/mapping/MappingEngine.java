package dev.provisioning.mapping;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.provisioning.events.job.AttributeMapping;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.MappingType;
import dev.provisioning.mapping.expression.Expression;
import dev.provisioning.mapping.expression.ExpressionParseException;
import dev.provisioning.mapping.scoping.ScopingFilters;

/**
 * Entry point of the mapping engine: compiles a job's user mappings and scoping filters once
 * ({@link #compile(JobConfig)}), or only checks them ({@link #validate(JobConfig)}, for the job API when a job is
 * saved). An empty {@code userMappings} list means {@link DruvaDefaults#userMappings()}.
 */
public final class MappingEngine {

    private MappingEngine() {
    }

    /**
     * Compiles a job for {@link CompiledJob#evaluateUser}.
     *
     * @throws InvalidConfigurationException listing every problem, as {@link #validate} reports them
     */
    public static CompiledJob compile(JobConfig job) throws InvalidConfigurationException {
        return compile(job, Clock.systemUTC());
    }

    /** As {@link #compile(JobConfig)}, with the clock read by {@code Now()} (for tests). */
    public static CompiledJob compile(JobConfig job, Clock clock) throws InvalidConfigurationException {
        List<ConfigError> errors = new ArrayList<>();
        CompiledJob compiled = compile(job, clock, errors);
        if (!errors.isEmpty()) {
            throw new InvalidConfigurationException(errors);
        }
        return compiled;
    }

    /** Every problem in the job's user mappings and scoping filters; empty when the job can be compiled. */
    public static List<ConfigError> validate(JobConfig job) {
        List<ConfigError> errors = new ArrayList<>();
        compile(job, Clock.systemUTC(), errors);
        return List.copyOf(errors);
    }

    /**
     * Evaluates one attribute mapping for one user, as a cycle maps a user in scope (so {@code IsSoftDeleted} is
     * false): the value Druva would receive, or why nothing is sent. Whether the user is in scope is not part of it
     * (ask {@link CompiledJob#evaluateUser} for that). Used by the console's "test a mapping".
     *
     * @param mapping the mapping as the administrator is editing it (not necessarily saved)
     * @param event the user, as a cycle's assignment event carries it
     * @throws InvalidConfigurationException when the mapping itself is invalid; fields are named {@code mapping.source},
     *         {@code mapping.target}, ...
     */
    public static MappingValue evaluateMapping(AttributeMapping mapping, dev.provisioning.events.AssignmentEvent event,
            Clock clock) throws InvalidConfigurationException {
        List<ConfigError> errors = new ArrayList<>();
        List<CompiledMapping> compiled = compileMappings(java.util.Collections.singletonList(mapping), errors);
        // the job-wide rules (a matching attribute, Druva's mandatory targets) are not about one mapping
        List<ConfigError> own = errors.stream().filter(e -> e.field().startsWith("userMappings["))
                .map(e -> new ConfigError("mapping" + e.field().substring("userMappings[0]".length()), e.message()))
                .toList();
        if (!own.isEmpty() || compiled.isEmpty()) {
            throw new InvalidConfigurationException(own.isEmpty()
                    ? List.of(new ConfigError("mapping", "a mapping is required"))
                    : own);
        }
        return CompiledJob.value(compiled.get(0), CompiledJob.context(event, clock));
    }

    private static CompiledJob compile(JobConfig job, Clock clock, List<ConfigError> errors) {
        if (job == null) {
            errors.add(new ConfigError("", "a job configuration is required"));
            return null;
        }
        List<AttributeMapping> source = job.userMappings().isEmpty()
                ? DruvaDefaults.userMappings()
                : job.userMappings();
        List<CompiledMapping> mappings = compileMappings(source, errors);
        ScopingFilters filters = ScopingFilters.compile(job.userScopingFilters(), "userScopingFilters", errors);
        if (!errors.isEmpty()) {
            return null;
        }
        return new CompiledJob(job, mappings, filters, clock);
    }

    private static List<CompiledMapping> compileMappings(List<AttributeMapping> mappings, List<ConfigError> errors) {
        List<CompiledMapping> compiled = new ArrayList<>();
        Map<String, Integer> targets = new HashMap<>();
        Map<Integer, Integer> precedences = new HashMap<>();
        boolean anyMatching = false;
        for (int i = 0; i < mappings.size(); i++) {
            AttributeMapping m = mappings.get(i);
            String field = "userMappings[" + i + "]";
            if (m == null) {
                errors.add(new ConfigError(field, "a mapping is required"));
                continue;
            }
            int before = errors.size();
            if (m.target() == null || m.target().isBlank()) {
                errors.add(new ConfigError(field + ".target", "a target attribute is required"));
            } else {
                Integer first = targets.putIfAbsent(m.target().trim(), i);
                if (first != null) {
                    errors.add(new ConfigError(field + ".target", "target attribute '" + m.target().trim()
                            + "' is already mapped by userMappings[" + first + "]"));
                }
            }
            if (m.matchingPrecedence() < 0) {
                errors.add(new ConfigError(field + ".matchingPrecedence", "expected 0 (not matching) or 1 and above"));
            } else if (m.matchingPrecedence() > 0) {
                anyMatching = true;
                Integer first = precedences.putIfAbsent(m.matchingPrecedence(), i);
                if (first != null) {
                    errors.add(new ConfigError(field + ".matchingPrecedence", "matching precedence "
                            + m.matchingPrecedence() + " is already used by userMappings[" + first + "]"));
                }
                if (m.type() == MappingType.NONE) {
                    errors.add(new ConfigError(field + ".matchingPrecedence",
                            "a mapping of type None has no value to match on"));
                }
            }
            Expression expression = null;
            if (m.type() == null) {
                errors.add(new ConfigError(field + ".type",
                        "a mapping type is required: DIRECT, CONSTANT, EXPRESSION or NONE"));
            } else {
                switch (m.type()) {
                    case DIRECT -> {
                        if (m.source() == null || m.source().isBlank()) {
                            errors.add(new ConfigError(field + ".source", "a source attribute is required"));
                        }
                    }
                    case CONSTANT -> {
                        if (m.source() == null) {
                            errors.add(new ConfigError(field + ".source", "a constant value is required"));
                        }
                    }
                    case EXPRESSION -> {
                        try {
                            expression = Expression.parse(m.source());
                        } catch (ExpressionParseException e) {
                            errors.add(new ConfigError(field + ".source", e.getMessage()));
                        }
                    }
                    case NONE -> {
                        // only the default value, if any, applies (on create)
                    }
                }
            }
            if (m.defaultValue() != null && CompiledJob.isBooleanTarget(m.target())
                    && dev.provisioning.mapping.expression.Values.asBoolean(m.defaultValue()) == null) {
                errors.add(new ConfigError(field + ".defaultValue",
                        "'" + m.target().trim() + "' is a boolean: expected True or False, found '" + m.defaultValue()
                                + "'"));
            }
            if (errors.size() == before) {
                compiled.add(CompiledMapping.of(i, m, expression));
            }
        }
        if (!anyMatching) {
            errors.add(new ConfigError("userMappings", "at least one mapping must be a matching attribute "
                    + "(matchingPrecedence 1), e.g. userPrincipalName -> userName"));
        }
        for (String mandatory : DruvaDefaults.MANDATORY_TARGETS.stream().sorted().toList()) {
            if (!targets.containsKey(mandatory)) {
                errors.add(new ConfigError("userMappings", "Druva requires a mapping to '" + mandatory + "'"));
            }
        }
        return compiled;
    }
}
