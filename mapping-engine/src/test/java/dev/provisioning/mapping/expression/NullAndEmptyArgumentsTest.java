package dev.provisioning.mapping.expression;

import static dev.provisioning.mapping.expression.FunctionsTest.attrs;
import static dev.provisioning.mapping.expression.FunctionsTest.context;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How every function treats a null argument (an absent attribute) and an empty string, one argument at a time: the
 * table of the module's README, row by row. {@code [v]} is the argument under test; the first expected value is for
 * {@code [v]} absent, the second for {@code [v] = ""}. Null means no value: the target attribute is not sent.
 */
class NullAndEmptyArgumentsTest {

    /** The expected outcome of an evaluation that fails the object (ExpressionEvaluationFailed). */
    static final Object FAILS = new Object() {
        @Override
        public String toString() {
            return "fails";
        }
    };

    static Stream<Arguments> rows() {
        return Stream.of(
                row("Append([v], \"x\")", null, "x"),
                row("Append(\"a\", [v])", "a", "a"),
                row("AppRoleAssignmentsComplex([v])", null, null),
                row("AssertiveAppRoleAssignmentsComplex([v])", null, null),
                row("BitAnd([v], 1)", null, null),
                row("CBool([v])", null, false),
                row("CDate([v])", null, null),
                row("Coalesce([v], \"d\")", "d", ""),
                row("ConvertToBase64([v])", null, ""),
                row("ConvertToUTF8Hex([v])", null, ""),
                row("Count([v])", 0L, 0L),
                row("CStr([v])", null, ""),
                row("DateAdd([v], 1, CDate(\"2021-01-01\"))", null, null),
                row("DateAdd(\"d\", [v], CDate(\"2021-01-01\"))", null, null),
                row("DateAdd(\"d\", 1, [v])", null, null),
                row("DateDiff([v], CDate(\"2021-01-01\"), Now())", null, null),
                row("DateDiff(\"d\", [v], Now())", null, null),
                row("DateDiff(\"d\", Now(), [v])", null, null),
                row("DateFromNum([v])", null, null),
                row("FormatDateTime([v], , \"dd/MM/yyyy\", \"yyyy-MM-dd\")", null, null),
                row("FormatDateTime([v], \"dd/MM/yyyy\", \"yyyy-MM-dd\")", null, null),
                row("IgnoreFlowIfNullOrEmpty([v])", Expression.IGNORE, Expression.IGNORE),
                row("IIF([v], \"t\", \"f\")", "f", "f"),
                row("IIF([v]=\"\", \"t\", \"f\")", "f", "t"),
                row("IIF(\"True\", [v], \"f\")", null, ""),
                row("InStr([v], \"a\")", null, 0L),
                row("InStr(\"abc\", [v])", null, 1L),
                row("InStr(\"abc\", \"b\", [v])", 2L, 2L),
                row("IsNull([v])", true, false),
                row("IsNullOrEmpty([v])", true, true),
                row("IsPresent([v])", false, false),
                row("IsString([v])", false, true),
                row("Item([v], 1)", null, ""),
                row("Item(Split(\"a,b\", \",\"), [v])", null, null),
                row("Join(\",\", [v], \"a\")", "a", "a"),
                row("Join([v], \"a\", \"b\")", "ab", "ab"),
                row("Join(\",\", [v])", null, null),
                row("Left([v], 2)", "", ""),
                row("Left(\"abc\", [v])", "abc", "abc"),
                row("Mid([v], 1, 2)", null, ""),
                row("Mid(\"abc\", [v], 2)", null, null),
                row("NormalizeDiacritics([v])", null, ""),
                row("Not([v])", true, true),
                row("NumFromDate([v])", null, null),
                row("PCase([v])", null, ""),
                row("PCase(\"ab cd\", [v])", "Ab Cd", "Ab cd"),
                row("RandomString([v], 0, 0, 0, 0)", FAILS, FAILS),
                row("Redact([v])", null, ""),
                row("RemoveDuplicates([v])", null, ""),
                row("Replace([v], \"a\", , , \"b\", , )", null, ""),
                row("Replace(\"abc\", [v], , , \"x\", , )", "abc", "abc"),
                row("Replace(\"abc\", \"b\", , , [v], , )", "ac", "ac"),
                row("Replace(\"abc\", , [v], , \"x\", , )", "abc", "abc"),
                row("Replace([v], \"<u>\", , , , , \"<u>@x\")", null, "@x"),
                row("SingleAppRoleAssignment([v])", null, null),
                row("Split([v], \",\")", null, List.of()),
                row("Split(\"a,b\", [v])", List.of("a,b"), List.of("a,b")),
                row("StripSpaces([v])", null, ""),
                row("Switch([v], \"d\", \"\", \"empty\", \"x\", \"y\")", "empty", "empty"),
                row("Switch(\"x\", [v], \"a\", \"b\")", null, ""),
                row("ToLower([v])", null, ""),
                row("ToLower(\"AB\", [v])", "ab", "ab"),
                row("ToUpper([v])", null, ""),
                row("Word([v], 1, \" \")", "", ""),
                row("Word(\"a b\", [v], \" \")", "", ""),
                row("Word(\"a b\", 1, [v])", "a b", "a b"));
    }

    @ParameterizedTest(name = "{0}: absent -> {1}, \"\" -> {2}")
    @MethodSource("rows")
    void nullAndEmptyArguments(String expression, Object whenNull, Object whenEmpty) {
        Expression e = Expression.parse(expression);

        check(e, attrs(), whenNull);
        check(e, attrs("v", ""), whenEmpty);
    }

    /** Every function has a row, so a function added later must say how it treats null and "". */
    @Test
    void everyFunctionWithArgumentsHasARow() {
        Set<String> covered = new HashSet<>();
        rows().forEach(a -> covered.addAll(Expression.parse((String) a.get()[0]).functions()));

        Set<String> all = new HashSet<>(Functions.names());
        all.removeAll(Set.of("Guid", "Now")); // no arguments

        assertThat(covered).containsAll(all);
    }

    private static void check(Expression e, java.util.Map<String, Object> attributes, Object expected) {
        if (expected == FAILS) {
            assertThatThrownBy(() -> e.evaluate(context(attributes))).isInstanceOf(EvaluationException.class);
            return;
        }
        assertThat(e.evaluate(context(attributes))).as("%s with %s", e, attributes).isEqualTo(expected);
    }

    private static Arguments row(String expression, Object whenNull, Object whenEmpty) {
        return arguments(expression, whenNull, whenEmpty);
    }
}
