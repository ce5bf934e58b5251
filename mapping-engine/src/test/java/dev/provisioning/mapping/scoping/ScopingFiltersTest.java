package dev.provisioning.mapping.scoping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.provisioning.events.job.ScopingClause;
import dev.provisioning.events.job.ScopingFilter;
import dev.provisioning.events.job.ScopingOperator;
import dev.provisioning.mapping.ConfigError;
import dev.provisioning.mapping.Waits;

class ScopingFiltersTest {

    private static final Object ABSENT = new Object();

    /** operator, operand, attribute value (ABSENT = not present), expected clause result. */
    static Stream<Arguments> clauses() {
        return Stream.of(
                arguments(ScopingOperator.EQUALS, "Sales", "Sales", true),
                arguments(ScopingOperator.EQUALS, "Sales", "sales", false),
                arguments(ScopingOperator.EQUALS, "Sales", ABSENT, false),
                arguments(ScopingOperator.EQUALS, "true", true, true),
                arguments(ScopingOperator.EQUALS, "42", 42L, true),
                arguments(ScopingOperator.NOT_EQUALS, "Sales", "Marketing", true),
                arguments(ScopingOperator.NOT_EQUALS, "Sales", "sales", true),
                arguments(ScopingOperator.NOT_EQUALS, "Sales", "Sales", false),
                arguments(ScopingOperator.NOT_EQUALS, "Sales", ABSENT, false),
                arguments(ScopingOperator.NOT_EQUALS, "Sales", "", false),
                arguments(ScopingOperator.IS_TRUE, null, true, true),
                arguments(ScopingOperator.IS_TRUE, null, "True", true),
                arguments(ScopingOperator.IS_TRUE, null, false, false),
                arguments(ScopingOperator.IS_TRUE, null, ABSENT, false),
                arguments(ScopingOperator.IS_FALSE, null, false, true),
                arguments(ScopingOperator.IS_FALSE, null, "false", true),
                arguments(ScopingOperator.IS_FALSE, null, true, false),
                arguments(ScopingOperator.IS_FALSE, null, ABSENT, false),
                arguments(ScopingOperator.IS_NULL, null, ABSENT, true),
                arguments(ScopingOperator.IS_NULL, null, null, true),
                arguments(ScopingOperator.IS_NULL, null, "", true),
                arguments(ScopingOperator.IS_NULL, null, "x", false),
                arguments(ScopingOperator.IS_NOT_NULL, null, "x", true),
                arguments(ScopingOperator.IS_NOT_NULL, null, ABSENT, false),
                arguments(ScopingOperator.IS_NOT_NULL, null, "", false),
                // documented examples of REGEX MATCH / NOT REGEX MATCH
                arguments(ScopingOperator.REGEX_MATCH, ".*\\@domain.com", "jane@domain.com", true),
                arguments(ScopingOperator.REGEX_MATCH, ".*\\@domain.com", "jane@other.com", false),
                arguments(ScopingOperator.NOT_REGEX_MATCH, ".*\\@domain.com", "jane@other.com", true),
                arguments(ScopingOperator.NOT_REGEX_MATCH, ".*\\@domain.com", "jane@domain.com", false),
                arguments(ScopingOperator.NOT_REGEX_MATCH, ".*\\@domain.com", ABSENT, false),
                arguments(ScopingOperator.NOT_REGEX_MATCH, ".*\\@domain.com", "", false),
                arguments(ScopingOperator.REGEX_MATCH, "(1[0-9][0-9][0-9][0-9][0-9][0-9])", "1234567", true),
                arguments(ScopingOperator.REGEX_MATCH, "(1[0-9][0-9][0-9][0-9][0-9][0-9])", "2234567", false),
                arguments(ScopingOperator.REGEX_MATCH, "([1-9][0-9])", "42", true),
                arguments(ScopingOperator.REGEX_MATCH, "^sales$", "Sales", false),
                arguments(ScopingOperator.INCLUDES, "ale", "Sales", true),
                arguments(ScopingOperator.INCLUDES, "ALE", "Sales", false),
                arguments(ScopingOperator.INCLUDES, "ale", ABSENT, false),
                arguments(ScopingOperator.STARTS_WITH, "Sa", "Sales", true),
                arguments(ScopingOperator.STARTS_WITH, "sa", "Sales", false),
                arguments(ScopingOperator.ENDS_WITH, "@contoso.com", "a@contoso.com", true),
                arguments(ScopingOperator.ENDS_WITH, "@contoso.com", "a@Contoso.com", false),
                arguments(ScopingOperator.GREATER_THAN, "1000000", "1500000", true),
                arguments(ScopingOperator.GREATER_THAN, "1000000", 1000000L, false),
                arguments(ScopingOperator.GREATER_THAN, "1000000", "abc", false),
                arguments(ScopingOperator.GREATER_THAN, "1000000", ABSENT, false),
                arguments(ScopingOperator.GREATER_THAN_OR_EQUALS, "1000000", 1000000L, true),
                arguments(ScopingOperator.GREATER_THAN_OR_EQUALS, "1000000", "999999", false),
                arguments(ScopingOperator.GREATER_THAN_OR_EQUALS, "10", "10.5", false),
                arguments(ScopingOperator.BITWISE_AND, "2", 514L, true),
                arguments(ScopingOperator.BITWISE_AND, "6", "514", false),
                arguments(ScopingOperator.BITWISE_AND, "2", ABSENT, false),
                arguments(ScopingOperator.BITWISE_NOT_AND, "2", 512L, true),
                arguments(ScopingOperator.BITWISE_NOT_AND, "2", 514L, false),
                arguments(ScopingOperator.BITWISE_NOT_AND, "2", ABSENT, false),
                // multi-valued attributes cannot be filtered
                arguments(ScopingOperator.EQUALS, "a", List.of("a"), false),
                arguments(ScopingOperator.IS_NOT_NULL, null, List.of("a"), false),
                arguments(ScopingOperator.IS_NULL, null, List.of("a"), false));
    }

    @ParameterizedTest(name = "{2} {0} {1} = {3}")
    @MethodSource("clauses")
    void clauseEvaluatesAsEntraDocuments(ScopingOperator op, String operand, Object value, boolean expected) {
        ScopingFilters filters = compile(List.of(filter(new ScopingClause("attr", op, operand))));
        Map<String, Object> attributes = new HashMap<>();
        if (value != ABSENT) {
            attributes.put("attr", value);
        }

        ScopeResult result = filters.evaluate(attributes);

        assertThat(result.inScope()).isEqualTo(expected);
        assertThat(result.reason() == null).isEqualTo(expected);
    }

    @Test
    void noFiltersMeansEveryoneIsInScope() {
        assertThat(compile(List.of()).evaluate(Map.of()).inScope()).isTrue();
    }

    @Test
    void clausesAreAndedAndFiltersAreOred() {
        ScopingFilters filters = compile(List.of(
                filter(new ScopingClause("department", ScopingOperator.EQUALS, "Sales"),
                        new ScopingClause("country", ScopingOperator.EQUALS, "US")),
                filter(new ScopingClause("jobTitle", ScopingOperator.EQUALS, "CEO"))));

        assertThat(filters.evaluate(Map.of("department", "Sales", "country", "US")).inScope()).isTrue();
        assertThat(filters.evaluate(Map.of("department", "Sales", "country", "FR")).inScope()).isFalse();
        assertThat(filters.evaluate(Map.of("department", "IT", "jobTitle", "CEO")).inScope()).isTrue();
        ScopeResult out = filters.evaluate(Map.of("department", "IT"));
        assertThat(out.reason()).contains("filter 'f': department EQUALS \"Sales\" is false")
                .contains("jobTitle EQUALS \"CEO\" is false");
    }

    @Test
    void attributeNamesMatchCaseInsensitivelyButValuesCaseSensitively() {
        ScopingFilters filters = compile(
                List.of(filter(new ScopingClause("Department", ScopingOperator.EQUALS, "Sales"))));
        assertThat(filters.evaluate(Map.of("department", "Sales")).inScope()).isTrue();
        assertThat(filters.evaluate(Map.of("department", "SALES")).inScope()).isFalse();
    }

    @Test
    void catastrophicRegexGivesUpQuicklyAsNoMatchWithAReason() {
        String input = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
        for (String pattern : List.of("(a+)+$", "((a+)+)+b", "^(a+)+\\1$")) {
            ScopingFilters filters = compile(
                    List.of(filter(new ScopingClause("attr", ScopingOperator.REGEX_MATCH, pattern))));

            // the regex engine's work budget ends it (how fast is the benchmark's business); the ceiling only turns a
            // runaway evaluation into a failure instead of a hung build
            ScopeResult result = assertTimeoutPreemptively(Waits.OUTCOME,
                    () -> filters.evaluate(Map.of("attr", input)));

            assertThat(result.inScope()).as(pattern).isFalse();
        }
        ScopingFilters exponential = compile(
                List.of(filter(new ScopingClause("attr", ScopingOperator.NOT_REGEX_MATCH, "((a+)+)+b"))));
        ScopeResult result = exponential.evaluate(Map.of("attr", input));
        assertThat(result.inScope()).isFalse();
        assertThat(result.inconclusive()).isTrue();
        assertThat(result.reason()).contains("gave up (regular expression budget exceeded)");
    }

    @Test
    void invalidClausesAreReportedWithTheirField() {
        List<ConfigError> errors = new ArrayList<>();
        ScopingFilters filters = ScopingFilters.compile(List.of(
                filter(new ScopingClause("employeeId", ScopingOperator.GREATER_THAN, "10.5"),
                        new ScopingClause("upn", ScopingOperator.REGEX_MATCH, "(unclosed"),
                        new ScopingClause("proxyAddresses", ScopingOperator.EQUALS, "x"),
                        new ScopingClause("", ScopingOperator.EQUALS, "x"),
                        new ScopingClause("department", null, "x"),
                        new ScopingClause("department", ScopingOperator.EQUALS, null),
                        new ScopingClause("flags", ScopingOperator.BITWISE_AND, "two")),
                new ScopingFilter("empty", List.of())), "userScopingFilters", errors);

        assertThat(filters).isNull();
        assertThat(errors).extracting(ConfigError::field).containsExactly(
                "userScopingFilters[0].clauses[0].value",
                "userScopingFilters[0].clauses[1].value",
                "userScopingFilters[0].clauses[2].attribute",
                "userScopingFilters[0].clauses[3].attribute",
                "userScopingFilters[0].clauses[4].operator",
                "userScopingFilters[0].clauses[5].value",
                "userScopingFilters[0].clauses[6].value",
                "userScopingFilters[1].clauses");
        assertThat(errors.get(0).message()).contains("expected an integer, found '10.5'");
        assertThat(errors.get(1).message()).contains("not a valid regular expression");
        assertThat(errors.get(2).message()).contains("multi-valued attributes cannot be filtered");
    }

    private static ScopingFilter filter(ScopingClause... clauses) {
        return new ScopingFilter("f", List.of(clauses));
    }

    private static ScopingFilters compile(List<ScopingFilter> filters) {
        List<ConfigError> errors = new ArrayList<>();
        ScopingFilters compiled = ScopingFilters.compile(filters, "userScopingFilters", errors);
        assertThat(errors).isEmpty();
        return compiled;
    }
}
