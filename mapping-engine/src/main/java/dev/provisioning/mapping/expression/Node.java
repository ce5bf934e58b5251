package dev.provisioning.mapping.expression;

import java.util.List;

/** A node of a parsed expression. Immutable; evaluation has no side effects on the tree. */
sealed interface Node permits Node.Literal, Node.Attribute, Node.Missing, Node.Call, Node.Comparison {

    /** The 1-based position of the node's first character in the expression text. */
    int position();

    Object evaluate(EvaluationContext context);

    /** Calls {@code visitor} on this node and every node below it. */
    default void walk(java.util.function.Consumer<Node> visitor) {
        visitor.accept(this);
    }

    /** A string, number or boolean literal. */
    record Literal(Object value, int position) implements Node {
        @Override
        public Object evaluate(EvaluationContext context) {
            return value;
        }
    }

    /** An {@code [attribute]} reference. */
    record Attribute(String name, int position) implements Node {
        @Override
        public Object evaluate(EvaluationContext context) {
            return context.attribute(name);
        }
    }

    /** An argument left empty, as in {@code Switch([IsSoftDeleted], , "False", "True")}: evaluates to null. */
    record Missing(int position) implements Node {
        @Override
        public Object evaluate(EvaluationContext context) {
            return null;
        }
    }

    /**
     * A function call.
     *
     * @param prepared what the function prepared at parse time from literal arguments (e.g. a compiled regex), or null
     */
    record Call(Function function, List<Node> args, Object prepared, int position) implements Node {

        @Override
        public Object evaluate(EvaluationContext context) {
            return function.implementation().apply(this, context);
        }

        /** Evaluates argument {@code i}; null when absent. A nested IgnoreFlowIfNullOrEmpty that fired reads as null. */
        Object arg(int i, EvaluationContext context) {
            if (i >= args.size()) {
                return null;
            }
            Object value = args.get(i).evaluate(context);
            return value == Expression.IGNORE ? null : value;
        }

        /** Whether argument {@code i} is absent or left empty. */
        boolean missing(int i) {
            return i >= args.size() || args.get(i) instanceof Missing;
        }

        int size() {
            return args.size();
        }

        @Override
        public void walk(java.util.function.Consumer<Node> visitor) {
            visitor.accept(this);
            for (Node arg : args) {
                arg.walk(visitor);
            }
        }
    }

    /** {@code left op right} as IIF conditions use them. A null operand makes the comparison false. */
    record Comparison(Node left, String operator, Node right, int position) implements Node {

        @Override
        public Object evaluate(EvaluationContext context) {
            Object l = left.evaluate(context);
            Object r = right.evaluate(context);
            if (l == null || r == null || l == Expression.IGNORE || r == Expression.IGNORE) {
                return Boolean.FALSE;
            }
            int cmp;
            Double ln = Values.number(l);
            Double rn = Values.number(r);
            Boolean lb = Values.asBoolean(l);
            Boolean rb = Values.asBoolean(r);
            if (l instanceof java.time.OffsetDateTime || r instanceof java.time.OffsetDateTime) {
                cmp = Dates.toDateTime(l).compareTo(Dates.toDateTime(r));
            } else if (lb != null && rb != null) {
                cmp = Boolean.compare(lb, rb);
            } else if (ln != null && rn != null && !(l instanceof Boolean) && !(r instanceof Boolean)) {
                cmp = Double.compare(ln, rn);
            } else {
                cmp = Values.str(l).compareTo(Values.str(r));
            }
            boolean result = switch (operator) {
                case "=" -> cmp == 0;
                case "<>" -> cmp != 0;
                case ">" -> cmp > 0;
                case ">=" -> cmp >= 0;
                case "<" -> cmp < 0;
                case "<=" -> cmp <= 0;
                default -> throw new IllegalStateException(operator);
            };
            return result;
        }

        @Override
        public void walk(java.util.function.Consumer<Node> visitor) {
            visitor.accept(this);
            left.walk(visitor);
            right.walk(visitor);
        }
    }
}
