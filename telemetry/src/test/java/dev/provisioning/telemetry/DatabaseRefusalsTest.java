package dev.provisioning.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.sql.SQLException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import org.hibernate.exception.ConstraintViolationException;
import org.hibernate.exception.DataException;
import org.hibernate.exception.JDBCConnectionException;
import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.CompositeException;
import io.vertx.core.VertxException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;

/**
 * Which failures are PostgreSQL refusing the data (dead-lettered, or halved to find the refused row) and which are the
 * database's trouble (retried), as each service's client reports them: the reactive client's {@link PgException} as a
 * {@code Pool} fails with it, or carried across threads; Hibernate Reactive's {@code JDBCException} around an
 * {@link SQLException} that carries the SQLSTATE (the way it converts the client's exception). Plain Java.
 */
class DatabaseRefusalsTest {

    @Test
    void dataExceptionsAndIntegrityViolationsAreRefusalsAsTheReactiveClientThrowsThem() {
        // value too long, NUL in text, timestamp out of range; duplicate key, null in NOT NULL, missing reference
        for (String state : new String[]{"22001", "22021", "22008", "23505", "23502", "23503"}) {
            assertThat(DatabaseRefusals.refused(pg(state))).as(state).isTrue();
            assertThat(DatabaseRefusals.sqlState(pg(state))).isEqualTo(state);
        }
    }

    @Test
    void aRefusalIsFoundAlongTheCauseChain() {
        // carried across threads (a CompletionStage, a Future)
        assertThat(DatabaseRefusals.refused(new CompletionException(pg("22001")))).isTrue();
        assertThat(DatabaseRefusals.refused(new ExecutionException(new CompletionException(pg("23505"))))).isTrue();
        // Hibernate Reactive: the client's exception converted to an SQLException, wrapped in Hibernate's own
        SQLException converted = new SQLException("value too long for type character varying(512)", "22001", 0);
        assertThat(DatabaseRefusals.refused(new DataException("error executing SQL statement", converted)))
                .isTrue();
        assertThat(DatabaseRefusals.refused(new CompletionException(new ConstraintViolationException(
                "error executing SQL statement", new SQLException("duplicate key", "23505", 0), "sent_pkey"))))
                .isTrue();
        assertThat(DatabaseRefusals.sqlState(new CompletionException(new DataException("x", converted))))
                .isEqualTo("22001");
    }

    @Test
    void aRefusalTheCallerWrappedInAnExceptionOfItsOwnIsNotOne() {
        // the change-detector's snapshot generation write: refused, but no object's refusal, so not halved for
        assertThat(DatabaseRefusals.refused(new IllegalStateException("job j: the database refused the snapshot "
                + "generation's write", pg("22001")))).isFalse();
        assertThat(DatabaseRefusals.refused(new VertxException("statement failed", pg("23505")))).isFalse();
    }

    @Test
    void theDatabasesOwnTroubleIsNotARefusal() {
        // serialization failure, deadlock, lock not available, too many connections, shut down, connection failure
        for (String state : new String[]{"40001", "40P01", "55P03", "53300", "57P01", "08006", "42P01"}) {
            assertThat(DatabaseRefusals.refused(pg(state))).as(state).isFalse();
            assertThat(DatabaseRefusals.refused(new CompletionException(pg(state)))).as(state).isFalse();
        }
        assertThat(DatabaseRefusals.refused(new JDBCConnectionException("connection lost",
                new SQLException("connection lost", "08006", 0)))).isFalse();
        // no SQLSTATE at all: the connection, the pool, a timeout
        assertThat(DatabaseRefusals.refused(ClosedConnectionException.INSTANCE)).isFalse();
        assertThat(DatabaseRefusals.refused(new VertxException("Connection refused", new ConnectException())))
                .isFalse();
        assertThat(DatabaseRefusals.refused(new TimeoutException())).isFalse();
        assertThat(DatabaseRefusals.refused(new SQLException("no state"))).isFalse();
        assertThat(DatabaseRefusals.refused(null)).isFalse();
        assertThat(DatabaseRefusals.sqlState(ClosedConnectionException.INSTANCE)).isNull();
    }

    @Test
    void aCompositeIsARefusalOnlyWhenEveryCauseIs() {
        assertThat(DatabaseRefusals.refused(new CompositeException(pg("22001"), pg("23505")))).isTrue();
        // the refusal, then the connection lost while rolling back: worth a retry
        assertThat(DatabaseRefusals.refused(new CompositeException(pg("22001"), ClosedConnectionException.INSTANCE)))
                .isFalse();
    }

    private static PgException pg(String sqlState) {
        return new PgException("refused", "ERROR", sqlState, null);
    }
}
