package dev.provisioning.mapping.expression;

import java.time.Clock;
import java.util.random.RandomGenerator;

/**
 * What an expression can read while it is evaluated: the source object's attributes (including virtual ones such as
 * {@code IsSoftDeleted}), the clock used by {@code Now()} and the random source used by {@code Guid()} and
 * {@code RandomString()}. Implementations must be safe to use from the evaluating thread only; they are not shared.
 */
public interface EvaluationContext {

    /**
     * The value of a source attribute: {@code null}, a {@link String}, {@link Boolean}, {@link Number} or a
     * {@link java.util.List} of values.
     */
    Object attribute(String name);

    /** The clock read by {@code Now()}. UTC is applied by the functions. */
    default Clock clock() {
        return Clock.systemUTC();
    }

    /** The random source of {@code Guid()} and {@code RandomString()}. */
    default RandomGenerator random() {
        return java.util.concurrent.ThreadLocalRandom.current();
    }
}
