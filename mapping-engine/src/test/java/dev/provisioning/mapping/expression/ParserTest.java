package dev.provisioning.mapping.expression;

import static dev.provisioning.mapping.expression.FunctionsTest.attrs;
import static dev.provisioning.mapping.expression.FunctionsTest.context;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ParserTest {

    static Stream<Arguments> invalidExpressions() {
        return Stream.of(
                arguments("Replace([mail], \"a\"", 20, "expected ')' after the arguments of Replace"),
                arguments("Append([a] \"x\")", 12, "expected ',' or ')' after argument 1 of Append, found '\"'"),
                arguments("append([a], \"x\")", 1,
                        "unknown function 'append' (function names are case-sensitive: did you mean Append?)"),
                arguments("Append([a], Foo(1))", 13, "unknown function 'Foo'"),
                arguments("Left(\"a\")", 1, "Left takes 2 arguments (String, NumChars), found 1"),
                arguments("Guid(1)", 1, "Guid takes 0 arguments (), found 1"),
                arguments("Switch([a], , \"x\")", 1,
                        "Switch takes at least 4 arguments (source, defaultValue, key1, value1, key2, value2, ...), found 3"),
                arguments("Switch([a], \"d\", \"k1\", \"v1\", \"k2\")", 1,
                        "Switch takes its keys and values in pairs (source, defaultValue, key1, value1, ...): expected an even number of arguments, found 5"),
                arguments("Replace([a], , , , \"x\")", 1,
                        "Replace takes 7 arguments (source, oldValue, regexPattern, regexGroupName, replacementValue, replacementAttributeName, template), found 5"),
                arguments("Replace([a], , \"(unclosed\", , \"\", , )", 16,
                        "Replace: regexPattern is not a valid regular expression: Unclosed group"),
                arguments("DateAdd(\"q\", 1, Now())", 9,
                        "DateAdd: unknown interval \"q\", expected one of yyyy, m, d, ww, h, n, s"),
                arguments("\"unterminated", 14, "expected '\"' to close the string started at position 1"),
                arguments("Append([mail, \"x\")", 19,
                        "expected ']' to close the attribute reference started at position 8"),
                arguments("Append([], \"x\")", 8, "expected an attribute name between '[' and ']'"),
                arguments("Append([a], \"b\") x", 18, "unexpected 'x' after the end of the expression"),
                arguments("Append([a], \"b\"))", 17, "unexpected ')' after the end of the expression"),
                arguments("IIF([a] = , \"x\", \"y\")", 11,
                        "expected a function, an [attribute], a \"string\" or a number, found ','"),
                arguments("Append(mail, \"x\")", 8,
                        "unknown name 'mail': expected a function call such as mail(...), an [attribute] or a \"string\""),
                arguments("   ", 1, "expected an expression"),
                arguments("Append([a], ", 13, "expected ')' after the arguments of Append"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidExpressions")
    void invalidExpressionIsRejectedWithPositionAndWhatWasExpected(String text, int position, String detail) {
        assertThatThrownBy(() -> Expression.parse(text))
                .isInstanceOfSatisfying(ExpressionParseException.class, e -> {
                    assertThat(e.detail()).startsWith(detail);
                    assertThat(e.position()).isEqualTo(position);
                    assertThat(e.getMessage()).startsWith("at position " + position + ": ");
                });
    }

    @Test
    void callsNestedDeeperThanTheLimitAreAParseErrorNotAStackOverflow() {
        String deep = "ToUpper(".repeat(800) + "[a]" + ")".repeat(800);
        assertThatThrownBy(() -> Expression.parse(deep)).isInstanceOf(ExpressionParseException.class)
                .hasMessageContaining("nested more than " + Parser.MAX_DEPTH + " deep");

        String atTheLimit = "ToUpper(".repeat(Parser.MAX_DEPTH) + "[a]" + ")".repeat(Parser.MAX_DEPTH);
        assertThat(Expression.parse(atTheLimit).evaluate(context(attrs("a", "x")))).isEqualTo("X");
        String tooDeep = "ToUpper(".repeat(Parser.MAX_DEPTH + 1) + "[a]" + ")".repeat(Parser.MAX_DEPTH + 1);
        assertThatThrownBy(() -> Expression.parse(tooDeep)).isInstanceOf(ExpressionParseException.class);
        // siblings are not nesting
        String wide = "Join(\",\"" + ", ToUpper([a])".repeat(300) + ")";
        assertThat(Expression.parse(wide)).isNotNull();
    }

    @Test
    void expressionsLongerThan10000CharactersAreRejected() {
        String text = "Append([a], \"" + "x".repeat(10_000) + "\")";

        assertThatThrownBy(() -> Expression.parse(text)).hasMessageContaining("limited to 10000 characters");
    }

    @Test
    void expressionOf10000CharactersIsAccepted() {
        String literal = "x".repeat(10_000 - "Append([a], \"\")".length());
        Object value = Expression.parse("Append([a], \"" + literal + "\")").evaluate(context(attrs("a", "")));
        assertThat((String) value).hasSize(literal.length());
    }

    @Test
    void stringEscapesFollowTheDocumentation() {
        assertThat(eval("\"Company name: \\\"Contoso\\\"\"")).isEqualTo("Company name: \"Contoso\"");
        assertThat(eval("\"a\\\\b\"")).isEqualTo("a\\b");
        // a backslash before another character stays, so regexes such as \d need no doubling
        assertThat(eval("\"\\d+\"")).isEqualTo("\\d+");
    }

    @Test
    void literalsAndWhitespace() {
        assertThat(eval("  Append( \"a\" ,\n\t\"b\" )  ")).isEqualTo("ab");
        assertThat(eval("CStr(-12)")).isEqualTo("-12");
        assertThat(eval("CStr(1.50)")).isEqualTo("1.5");
        assertThat(eval("IIF(True, \"y\", \"n\")")).isEqualTo("y");
        assertThat(eval("[a]")).isEqualTo("value of a");
        assertThat(eval("\"plain\"")).isEqualTo("plain");
    }

    @Test
    void emptyArgumentsEvaluateToNull() {
        assertThat(eval("Coalesce(, , \"x\")")).isEqualTo("x");
        assertThat(Expression.parse("Switch([none], , \"a\", \"b\")").evaluate(context(attrs()))).isNull();
    }

    @Test
    void comparisonsWithNullAreFalseAsEntraDocuments() {
        assertThat(eval("IIF([missing]=\"\",\"Other\",\"Set\")")).isEqualTo("Set");
        assertThat(eval("IIF([missing]<>\"x\",\"yes\",\"no\")")).isEqualTo("no");
        assertThat(eval("IIF(5 > 10, \"yes\", \"no\")")).isEqualTo("no");
        assertThat(eval("IIF(\"10\" >= 9, \"yes\", \"no\")")).isEqualTo("yes");
        assertThat(eval("IIF(\"b\" < \"a\", \"yes\", \"no\")")).isEqualTo("no");
        assertThat(eval("IIF(CDate(\"2020-01-02\") > CDate(\"2020-01-01\"), \"yes\", \"no\")")).isEqualTo("yes");
    }

    @Test
    void deeplyNestedCallsEvaluate() {
        String text = "ToUpper(".repeat(200) + "[a]" + ")".repeat(200);
        assertThat(Expression.parse(text).evaluate(context(attrs("a", "x")))).isEqualTo("X");
    }

    @Test
    void nullSourceGivesNoValueForStringFunctions() {
        for (String f : List.of("ToLower([m])", "ToUpper([m])", "StripSpaces([m])", "NormalizeDiacritics([m])",
                "PCase([m])", "Mid([m], 1, 2)", "Replace([m], \"a\", , , \"b\", , )", "CStr([m])", "CDate([m])",
                "Join(\",\", [m])", "Append([m], [n])")) {
            assertThat(Expression.parse(f).evaluate(context(attrs()))).as(f).isNull();
        }
    }

    @Test
    void multiValuedAttributesWorkWithItemCountJoinAndRemoveDuplicates() {
        var ctx = context(attrs("p", List.of("a", "b", "a")));
        assertThat(Expression.parse("Count([p])").evaluate(ctx)).isEqualTo(3L);
        assertThat(Expression.parse("Count([none])").evaluate(ctx)).isEqualTo(0L);
        assertThat(Expression.parse("Item([p], 2)").evaluate(ctx)).isEqualTo("b");
        assertThat(Expression.parse("Item([p], 0)").evaluate(ctx)).isNull();
        assertThat(Expression.parse("Join(\"|\", RemoveDuplicates([p]))").evaluate(ctx)).isEqualTo("a|b");
    }

    @Test
    void nestedIgnoreFlowReadsAsNull() {
        assertThat(eval("Coalesce(IgnoreFlowIfNullOrEmpty([missing]), \"fallback\")")).isEqualTo("fallback");
    }

    @Test
    void catastrophicRegexInReplaceFailsTheEvaluationInsteadOfHanging() {
        // (a+)+$ is defused by Java's own regex engine; ((a+)+)+b still backtracks exponentially
        Expression e = Expression.parse("Replace([a], , \"((a+)+)+b\", , \"x\", , )");
        assertThatThrownBy(() -> e.evaluate(context(attrs("a", "a".repeat(36) + "!"))))
                .isInstanceOf(EvaluationException.class).hasMessageContaining("gave up");
    }

    @Test
    void expressionListsItsAttributesAndFunctions() {
        Expression e = Expression.parse("Switch([IsSoftDeleted], , \"False\", \"True\", \"True\", \"False\")");
        assertThat(e.attributes()).containsExactly("IsSoftDeleted");
        assertThat(e.functions()).containsExactly("Switch");
    }

    private static Object eval(String text) {
        return Expression.parse(text).evaluate(context(attrs("a", "value of a")));
    }
}
