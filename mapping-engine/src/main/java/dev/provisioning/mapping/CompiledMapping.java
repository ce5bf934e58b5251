package dev.provisioning.mapping;

import dev.provisioning.events.job.ApplyMode;
import dev.provisioning.events.job.MappingType;
import dev.provisioning.mapping.expression.Expression;

/**
 * One attribute mapping, ready to evaluate.
 *
 * @param index its position in the job's mapping list, for messages
 * @param type the mapping type
 * @param source the source attribute (Direct) or constant (Constant)
 * @param expression the parsed expression (Expression), else null
 * @param target the SCIM target path
 * @param defaultValue the create-only default when the value is null, converted for the target; may be null
 * @param createOnly whether the mapping applies only during creation
 * @param booleanTarget whether the target is a SCIM boolean (values are converted to Boolean)
 * @param matchingPrecedence 0, or the matching precedence
 */
record CompiledMapping(int index, MappingType type, String source, Expression expression, String target,
        Object defaultValue, boolean createOnly, boolean booleanTarget, int matchingPrecedence) {

    static CompiledMapping of(int index, dev.provisioning.events.job.AttributeMapping m, Expression expression) {
        boolean bool = CompiledJob.isBooleanTarget(m.target());
        Object defaultValue = m.defaultValue();
        if (defaultValue != null && bool) {
            defaultValue = dev.provisioning.mapping.expression.Values.asBoolean(defaultValue);
        }
        return new CompiledMapping(index, m.type(), m.source(), expression, m.target().trim(), defaultValue,
                m.apply() == ApplyMode.ONLY_DURING_CREATION, bool, m.matchingPrecedence());
    }
}
