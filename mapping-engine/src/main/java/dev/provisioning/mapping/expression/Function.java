package dev.provisioning.mapping.expression;

import java.util.List;

/**
 * One function of the expression language.
 *
 * @param name the case-sensitive name
 * @param minArgs the fewest arguments (empty ones count)
 * @param maxArgs the most arguments; {@link Integer#MAX_VALUE} for variadic functions
 * @param signature the documented signature, for error messages
 * @param implementation evaluates a call
 * @param preparer checks a call's arguments at parse time and prepares what can be prepared once
 */
record Function(String name, int minArgs, int maxArgs, String signature, Implementation implementation,
        Preparer preparer) {

    @FunctionalInterface
    interface Implementation {
        Object apply(Node.Call call, EvaluationContext context);
    }

    @FunctionalInterface
    interface Preparer {
        /**
         * Returns what the call should carry (or null), or throws {@link ExpressionParseException} for an invalid call.
         */
        Object prepare(List<Node> args, int position);
    }
}
