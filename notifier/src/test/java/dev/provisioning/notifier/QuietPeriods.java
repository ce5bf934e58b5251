package dev.provisioning.notifier;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;

import org.awaitility.Awaitility;

/**
 * The quiet periods of one test class, checked together once its tests ran: each test states what must keep holding
 * for its own job (no second email, none at all) with {@link #keep}, which checks it at once, and the class's
 * {@code @AfterAll} calls {@link #await()}, which waits until every condition held for {@link Waits#QUIET} in a row.
 * Each condition is thus watched from its test's outcome to the end of the class and then {@link Waits#QUIET} more, at
 * least as long as a quiet period at the end of its own test, while the class waits out one period instead of one
 * per test. Only for conditions on a test's own job (the module's tests share the broker and the mailbox, never a
 * job), and not for one that must hold before the test goes on.
 */
final class QuietPeriods {

    private record Condition(String what, Callable<Boolean> holds) {
    }

    private final List<Condition> conditions = new CopyOnWriteArrayList<>();

    /** Checks that {@code holds} holds now, and has {@link #await()} check that it keeps holding. */
    void keep(String what, Callable<Boolean> holds) throws Exception {
        assertThat(holds.call()).as(what).isTrue();
        conditions.add(new Condition(what, holds));
    }

    /**
     * Waits until every condition held for {@link Waits#QUIET} in a row, failing at {@link Waits#QUIET_CEILING} with
     * the first one that does not hold; then forgets them.
     */
    void await() {
        try {
            Awaitility.await().during(Waits.QUIET).atMost(Waits.QUIET_CEILING).untilAsserted(() -> {
                for (Condition c : conditions) {
                    assertThat(c.holds().call()).as(c.what()).isTrue();
                }
            });
        } finally {
            conditions.clear();
        }
    }
}
