package dev.provisioning.mapping.scoping;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.PatternSyntaxException;

import dev.provisioning.events.job.ScopingClause;
import dev.provisioning.events.job.ScopingFilter;
import dev.provisioning.events.job.ScopingOperator;
import dev.provisioning.mapping.ConfigError;
import dev.provisioning.mapping.expression.Values;
import dev.provisioning.mapping.regex.BoundedRegex;
import dev.provisioning.mapping.regex.RegexBudgetExceededException;

/**
 * A job's scoping filters, compiled once (operands parsed, regular expressions compiled) and evaluated per object.
 * Rules (define-conditional-rules-for-provisioning-user-accounts):
 * <ul>
 * <li>clauses within a filter are ANDed, filters are ORed, no filters means everyone is in scope;</li>
 * <li>comparisons are case-sensitive; a clause on a null or empty value is false, except IS NULL (true) and IS NOT
 * NULL;</li>
 * <li>GREATER_THAN(_OR_EQUALS) and the bitwise operators compare integers; a non-integer attribute makes the clause
 * false;</li>
 * <li>REGEX MATCH is .NET's IsMatch (a match anywhere); NOT REGEX MATCH is false on a null/empty value; a regex that
 * runs out of budget counts as false (no match is proven either way) and marks the result inconclusive;</li>
 * <li>multi-valued attributes cannot be filtered: any clause on a list is false.</li>
 * </ul>
 * Immutable and thread-safe.
 */
public final class ScopingFilters {

    /**
     * Source attributes known to be multi-valued in Entra; a clause on one is a validation error. (Unknown multi-valued
     * attributes are caught at run time: the clause is false.)
     */
    public static final Set<String> MULTI_VALUED_ATTRIBUTES = Set.of("proxyAddresses", "otherMails", "businessPhones",
            "imAddresses", "identities", "assignedLicenses", "assignedPlans", "provisionedPlans", "schools",
            "skills", "interests", "responsibilities", "pastProjects", "appRoleAssignments");

    private final List<List<Clause>> filters;
    private final List<String> names;

    private ScopingFilters(List<List<Clause>> filters, List<String> names) {
        this.filters = filters;
        this.names = names;
    }

    /** Filters that let everyone through. */
    public static ScopingFilters none() {
        return new ScopingFilters(List.of(), List.of());
    }

    /**
     * Compiles the filters, adding any problem to {@code errors} (fields under {@code fieldPrefix}, e.g.
     * {@code userScopingFilters}). Returns null if there were errors.
     */
    public static ScopingFilters compile(List<ScopingFilter> filters, String fieldPrefix, List<ConfigError> errors) {
        int before = errors.size();
        List<List<Clause>> compiled = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int f = 0; f < filters.size(); f++) {
            ScopingFilter filter = filters.get(f);
            String filterField = fieldPrefix + "[" + f + "]";
            if (filter == null) {
                errors.add(new ConfigError(filterField, "a scoping filter is required"));
                continue;
            }
            if (filter.clauses().isEmpty()) {
                errors.add(new ConfigError(filterField + ".clauses", "a scoping filter needs at least one clause"));
                continue;
            }
            List<Clause> clauses = new ArrayList<>();
            for (int c = 0; c < filter.clauses().size(); c++) {
                Clause clause = Clause.compile(filter.clauses().get(c), filterField + ".clauses[" + c + "]", errors);
                if (clause != null) {
                    clauses.add(clause);
                }
            }
            compiled.add(List.copyOf(clauses));
            names.add(filter.name() == null || filter.name().isBlank() ? "#" + (f + 1) : filter.name());
        }
        return errors.size() > before ? null : new ScopingFilters(List.copyOf(compiled), List.copyOf(names));
    }

    /** Whether there are no filters (everyone in scope). */
    public boolean isEmpty() {
        return filters.isEmpty();
    }

    /** Evaluates the filters against an object's source attributes. */
    public ScopeResult evaluate(Map<String, Object> attributes) {
        if (filters.isEmpty()) {
            return ScopeResult.IN_SCOPE;
        }
        boolean inconclusive = false;
        for (List<Clause> filter : filters) {
            boolean all = true;
            for (Clause clause : filter) {
                int outcome = clause.test(attributes);
                if (outcome != Clause.TRUE) {
                    inconclusive |= outcome == Clause.GAVE_UP;
                    all = false;
                    break;
                }
            }
            if (all) {
                return ScopeResult.IN_SCOPE;
            }
        }
        return new ScopeResult(false, explain(attributes), inconclusive);
    }

    /** Names, for each filter, the first clause that failed. Only called for objects out of scope. */
    private String explain(Map<String, Object> attributes) {
        StringBuilder sb = new StringBuilder("not in scope of the scoping filters: ");
        for (int f = 0; f < filters.size(); f++) {
            for (Clause clause : filters.get(f)) {
                int outcome = clause.test(attributes);
                if (outcome != Clause.TRUE) {
                    if (f > 0) {
                        sb.append("; ");
                    }
                    sb.append("filter '").append(names.get(f)).append("': ").append(clause.describe())
                            .append(outcome == Clause.GAVE_UP
                                    ? " gave up (regular expression budget exceeded)"
                                    : " is false");
                    break;
                }
            }
        }
        return sb.toString();
    }

    /** One compiled clause. */
    private record Clause(String attribute, ScopingOperator operator, String operand, Long integerOperand,
            BoundedRegex regex) {

        static final int FALSE = 0;
        static final int TRUE = 1;
        static final int GAVE_UP = 2;

        static Clause compile(ScopingClause clause, String field, List<ConfigError> errors) {
            if (clause == null) {
                errors.add(new ConfigError(field, "a clause is required"));
                return null;
            }
            int before = errors.size();
            if (clause.attribute() == null || clause.attribute().isBlank()) {
                errors.add(new ConfigError(field + ".attribute", "a source attribute is required"));
            } else if (MULTI_VALUED_ATTRIBUTES.contains(clause.attribute())) {
                errors.add(new ConfigError(field + ".attribute",
                        "'" + clause.attribute() + "' is multi-valued: multi-valued attributes cannot be filtered"));
            }
            ScopingOperator op = clause.operator();
            String value = clause.value();
            Long integer = null;
            BoundedRegex regex = null;
            if (op == null) {
                errors.add(new ConfigError(field + ".operator", "an operator is required, one of "
                        + java.util.Arrays.toString(ScopingOperator.values())));
            } else if (!unary(op)) {
                if (value == null) {
                    errors.add(new ConfigError(field + ".value", op + " needs a value"));
                } else {
                    switch (op) {
                        case GREATER_THAN, GREATER_THAN_OR_EQUALS, BITWISE_AND, BITWISE_NOT_AND -> {
                            integer = Values.parseLong(value.trim());
                            if (integer == null) {
                                errors.add(new ConfigError(field + ".value",
                                        op + " compares integers: expected an integer, found '" + value + "'"));
                            }
                        }
                        case REGEX_MATCH, NOT_REGEX_MATCH -> {
                            try {
                                regex = BoundedRegex.compile(value);
                            } catch (PatternSyntaxException e) {
                                errors.add(new ConfigError(field + ".value",
                                        "not a valid regular expression: " + e.getDescription() + " near index "
                                                + e.getIndex()));
                            }
                        }
                        default -> {
                            // string operand as is
                        }
                    }
                }
            }
            if (errors.size() > before) {
                return null;
            }
            return new Clause(clause.attribute(), op, value, integer, regex);
        }

        private static boolean unary(ScopingOperator op) {
            return op == ScopingOperator.IS_TRUE || op == ScopingOperator.IS_FALSE || op == ScopingOperator.IS_NULL
                    || op == ScopingOperator.IS_NOT_NULL;
        }

        int test(Map<String, Object> attributes) {
            Object value = lookup(attributes, attribute);
            if (value instanceof Collection<?>) {
                return FALSE;
            }
            boolean empty = value == null || (value instanceof String s && s.isEmpty());
            if (operator == ScopingOperator.IS_NULL) {
                return empty ? TRUE : FALSE;
            }
            if (empty) {
                return FALSE;
            }
            return switch (operator) {
                case IS_NOT_NULL -> TRUE;
                case IS_TRUE -> bool(Boolean.TRUE.equals(Values.asBoolean(value)));
                case IS_FALSE -> bool(Boolean.FALSE.equals(Values.asBoolean(value)));
                case EQUALS -> bool(equalsOperand(value));
                case NOT_EQUALS -> bool(!equalsOperand(value));
                case INCLUDES -> bool(Values.str(value).contains(operand));
                case STARTS_WITH -> bool(Values.str(value).startsWith(operand));
                case ENDS_WITH -> bool(Values.str(value).endsWith(operand));
                case GREATER_THAN -> {
                    Long n = Values.integer(value);
                    yield bool(n != null && n > integerOperand);
                }
                case GREATER_THAN_OR_EQUALS -> {
                    Long n = Values.integer(value);
                    yield bool(n != null && n >= integerOperand);
                }
                case BITWISE_AND -> {
                    Long n = Values.integer(value);
                    yield bool(n != null && (n & integerOperand) == integerOperand);
                }
                case BITWISE_NOT_AND -> {
                    Long n = Values.integer(value);
                    yield bool(n != null && (n & integerOperand) == 0);
                }
                case REGEX_MATCH, NOT_REGEX_MATCH -> {
                    try {
                        boolean found = regex.find(Values.str(value));
                        yield bool(operator == ScopingOperator.REGEX_MATCH ? found : !found);
                    } catch (RegexBudgetExceededException e) {
                        yield GAVE_UP;
                    }
                }
                case IS_NULL -> throw new IllegalStateException();
            };
        }

        /** Case-sensitive; a boolean attribute also equals "true"/"false" in any case. */
        private boolean equalsOperand(Object value) {
            if (value instanceof Boolean b) {
                Boolean o = Values.asBoolean(operand);
                if (o != null) {
                    return b.equals(o);
                }
            }
            return Values.str(value).equals(operand);
        }

        private static int bool(boolean b) {
            return b ? TRUE : FALSE;
        }

        String describe() {
            return attribute + " " + operator + (operand == null ? "" : " \"" + operand + "\"");
        }
    }

    /** An attribute by its exact name, else by a case-insensitive match (Entra attribute names are not case-sensitive). */
    public static Object lookup(Map<String, Object> attributes, String name) {
        Object value = attributes.get(name);
        if (value != null || attributes.containsKey(name)) {
            return value;
        }
        for (Map.Entry<String, Object> e : attributes.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return null;
    }
}
