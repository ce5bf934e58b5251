package dev.provisioning.telemetry;

import java.sql.SQLException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

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
 * The SQLSTATE is read as each client reports it: the reactive client's {@link DatabaseException}
 * ({@code io.vertx.pgclient.PgException}), as a {@code Pool} fails with it, or inside the wrappers that only carry a
 * failure across threads ({@link CompletionException}, {@link ExecutionException}); or, through Hibernate Reactive, an
 * {@link SQLException} with a SQLSTATE anywhere along the cause chain (Hibernate Reactive converts the client's
 * exception to one, without the original, and wraps it in a {@code JDBCException}, which may be wrapped again). A
 * reactive client's refusal that the caller wrapped in an exception of its own is the caller's statement that it is
 * not a refusal of the record's data (the change-detector's snapshot generation write, refused, is no object's
 * refusal, and is not halved for), and is left so. One check for every service, so a refusal is recognised alike
 * wherever it is handled. Plain Java; the services bring the reactive SQL client (this module compiles against it, and
 * does not pass it on).
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
     * PostgreSQL's SQLSTATE (five characters, e.g. {@code 22001}, value too long) of {@code failure}: a
     * {@link DatabaseException} of the reactive client, as it is or in a {@link CompletionException} or
     * {@link ExecutionException}, or else the first {@link SQLException} with a SQLSTATE along the cause chain
     * (Hibernate Reactive's). Null when there is none (a connection closed, a timeout, the pool exhausted, or a
     * client's exception the caller wrapped in one of its own).
     */
    public static String sqlState(Throwable failure) {
        Throwable t = failure;
        while (t instanceof CompletionException || t instanceof ExecutionException) {
            t = t.getCause();
        }
        if (t instanceof DatabaseException database && database.getSqlState() != null) {
            return database.getSqlState();
        }
        for (t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return null;
    }
}
