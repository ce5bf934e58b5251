package dev.provisioning.mapping.expression;

import java.util.HashSet;
import java.util.Set;

/**
 * A parsed Entra expression, compiled once and evaluated many times. Immutable and thread-safe.
 *
 * <pre>
 * Expression e = Expression.parse("Switch([IsSoftDeleted], , \"False\", \"True\", \"True\", \"False\")");
 * Object active = e.evaluate(name -&gt; attributes.get(name));
 * </pre>
 *
 * The result is null, a String, Boolean, Long/Double, a List, an OffsetDateTime, or {@link #IGNORE} when a top-level
 * {@code IgnoreFlowIfNullOrEmpty} says the attribute must not flow at all.
 */
public final class Expression {

    /** The result of a top-level {@code IgnoreFlowIfNullOrEmpty} whose argument was null or empty: drop the target. */
    public static final Object IGNORE = new Object() {
        @Override
        public String toString() {
            return "IGNORE";
        }
    };

    private final String text;
    private final Node root;
    private final Set<String> attributes;
    private final Set<String> functions;

    private Expression(String text, Node root) {
        this.text = text;
        this.root = root;
        Set<String> attrs = new HashSet<>();
        Set<String> fns = new HashSet<>();
        root.walk(n -> {
            if (n instanceof Node.Attribute a) {
                attrs.add(a.name());
            } else if (n instanceof Node.Call c) {
                fns.add(c.function().name());
            }
        });
        this.attributes = Set.copyOf(attrs);
        this.functions = Set.copyOf(fns);
    }

    /**
     * Parses an expression.
     *
     * @throws ExpressionParseException with the position and what was expected
     */
    public static Expression parse(String text) throws ExpressionParseException {
        return new Expression(text, Parser.parse(text));
    }

    /** Evaluates the expression; see the class comment for the result types. */
    public Object evaluate(EvaluationContext context) throws EvaluationException {
        return root.evaluate(context);
    }

    /** The attribute names the expression references. */
    public Set<String> attributes() {
        return attributes;
    }

    /** The names of the functions the expression calls. */
    public Set<String> functions() {
        return functions;
    }

    /** The source text. */
    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }
}
