package dev.provisioning.telemetry;

import java.sql.SQLException;

import io.smallrye.mutiny.CompositeException;
import io.vertx.sqlclient.DatabaseException;

/**
 * Whether PostgreSQL refused the data of a statement, which running it again cannot change: SQLSTATE class 22 (data
 * exception: a value too long, a NUL character in text, a number or timestamp out of range) or 23 (integrity constraint
 * violation: a duplicate key, a missing reference, a null in a NOT NULL column), PostgreSQL's Appendix A ("PostgreSQL
 * Error Codes"). A consumer dead-letters the record whose data was refused, and when a statement held many records it
 * looks for the refused one by halving (the scim-writer's {@code MicroBatcher}, the change-detector's and the
 * notifier's results consumers). Every other failure (the connection or the pool, a timeout, SQLSTATE 08 connection
 * exception, 40 transaction rollback, 53 insufficient resources, 55 object not in prerequisite state, 57 operator
 * intervention) is the database's trouble, not the data's: the caller retries it.
 *
 * <p>
 * The SQLSTATE is looked for along the failure's cause chain, as each client reports it: the reactive client's
 * {@link DatabaseException} ({@code io.vertx.pgclient.PgException}), thrown as it is by a {@code Pool} and possibly
 * wrapped by the caller; or, through Hibernate Reactive, an {@link SQLException} carrying the same SQLSTATE (Hibernate
 * Reactive converts the client's exception to one and wraps it in a {@code JDBCException}, without the original). One
 * check for every service, so a refusal is recognised alike wherever it is handled. Plain Java; the services bring the
 * reactive SQL client (this module compiles against it, and does not pass it on).
 */
public final class DatabaseRefusals {

    private DatabaseRefusals() {
    }

    /**
     * Whether PostgreSQL refused the data: the first SQLSTATE along {@code failure}'s cause chain ({@link #sqlState})
     * is of class 22 or 23; for a {@link CompositeException} (a failure and, say, the failed rollback after it), when
     * every one of its causes is a refusal (one that is not, the connection lost meanwhile, is worth a retry).
     *
     * @param failure what the statement (or the transaction, or the caller's chain around it) failed with; null is
     *        not a refusal
     */
    public static boolean refused(Throwable failure) {
        if (failure instanceof CompositeException composite) {
            return composite.getCauses().stream().allMatch(DatabaseRefusals::refused);
        }
        return refusal(sqlState(failure));
    }

    /**
     * Whether {@code sqlState} is one of a refusal of the data: class 22 (data exception) or 23 (integrity constraint
     * violation). Null is not.
     */
    public static boolean refusal(String sqlState) {
        return sqlState != null && (sqlState.startsWith("22") || sqlState.startsWith("23"));
    }

    /**
     * PostgreSQL's SQLSTATE (five characters, e.g. {@code 22001}, value too long) in {@code failure} or the first of
     * its causes that carries one: a {@link DatabaseException} of the reactive client, or an {@link SQLException} with
     * a SQLSTATE (Hibernate Reactive's). Null when none does (a connection closed, a timeout, the pool exhausted).
     */
    public static String sqlState(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof DatabaseException database && database.getSqlState() != null) {
                return database.getSqlState();
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return null;
    }
}
