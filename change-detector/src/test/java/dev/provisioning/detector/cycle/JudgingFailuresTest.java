package dev.provisioning.detector.cycle;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.CompositeException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;

import dev.provisioning.detector.persistence.DatabaseFailures;

/**
 * Which failures while judging a poll are retried (the database or the connection to it failed) and which dead-letter
 * the job's results (the result cannot be judged): {@link DatabaseFailures#isTransient}. Plain Java.
 */
class JudgingFailuresTest {

    @Test
    void theDatabaseFailingIsRetried() {
        // a serialization failure, a restart (57P01), a lock not available, a connection closed under the statement
        assertThat(DatabaseFailures.isTransient(pg("40001"))).isTrue();
        assertThat(DatabaseFailures.isTransient(pg("57P01"))).isTrue();
        assertThat(DatabaseFailures.isTransient(pg("55P03"))).isTrue();
        assertThat(DatabaseFailures.isTransient(ClosedConnectionException.INSTANCE)).isTrue();
        // JobStore.update gave up on a job that kept changing
        assertThat(DatabaseFailures.isTransient(new IllegalStateException("job j kept changing"))).isTrue();
        assertThat(DatabaseFailures.isTransient(new CompositeException(pg("40001"),
                ClosedConnectionException.INSTANCE))).isTrue();
    }

    @Test
    void whatIsNotTheDatabaseFailingIsNotRetried() {
        // the database refuses the data itself (class 22 data exception, 23 integrity violation)
        assertThat(DatabaseFailures.isTransient(pg("22001"))).isFalse();
        assertThat(DatabaseFailures.isTransient(pg("23505"))).isFalse();
        // the job's stored row cannot be read; a fault in the rules
        assertThat(DatabaseFailures.isTransient(new IllegalStateException("job j: its stored row cannot be read",
                new IllegalArgumentException("bad JSON")))).isFalse();
        assertThat(DatabaseFailures.isTransient(new NullPointerException())).isFalse();
        assertThat(DatabaseFailures.isTransient(new CompositeException(pg("40001"),
                new NullPointerException()))).isFalse();
    }

    private static PgException pg(String sqlState) {
        return new PgException("refused", "ERROR", sqlState, null);
    }
}
