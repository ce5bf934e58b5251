package dev.provisioning.notifier.persistence;

import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;

import io.vertx.pgclient.PgException;

import dev.provisioning.events.StorableText;
import dev.provisioning.telemetry.DatabaseRefusals;

/**
 * What PostgreSQL refuses in an event from another service, and why, for the dead letter that carries it. A refusal is
 * what every service counts as one ({@link DatabaseRefusals}: SQLSTATE class 22, data exception, or 23, integrity
 * constraint violation, found along the cause chain Hibernate Reactive wraps it in), or a value the notifier knows
 * PostgreSQL cannot hold ({@link Unstorable}): storing it again fails again, so it is never retried, and in a statement
 * of many rows it is looked for by halving (as the scim-writer's {@code MicroBatcher} and the change-detector's results
 * consumer do). Anything else (the connection, the pool, a timeout, SQLSTATE 08, 40, 53, 57) is the database's
 * trouble, not the event's, and is retried.
 */
public final class Refusals {

    /** PostgreSQL's earliest {@code timestamptz}: 4713 BC (section 8.5, "Date/Time Types"). */
    static final Instant EARLIEST = Instant.parse("-4713-11-24T00:00:00Z");
    /** PostgreSQL's latest {@code timestamptz}: 294276 AD. Later instants cannot even be encoded by the client. */
    static final Instant LATEST = Instant.parse("+294276-12-31T23:59:59.999999Z");

    private Refusals() {
    }

    /** A value PostgreSQL cannot hold, found before the statement was sent: a refusal like SQLSTATE 22008. */
    public static final class Unstorable extends IllegalArgumentException {
        Unstorable(String message) {
            super(message);
        }
    }

    /**
     * A column holding an identifier of the event, never cut (two cut ids could become one): a longer value is refused.
     *
     * @param field the event's field, as its JSON names it
     * @param column the column, {@code table.column}
     * @param chars the column's size ({@code varchar(chars)})
     * @param value the field's value in an event
     */
    record IdColumn<T>(String field, String column, int chars, Function<T, String> value) {
    }

    /**
     * Whether {@code failure} is a refusal: an {@link Unstorable} (thrown before anything is sent), or PostgreSQL
     * refusing the data ({@link DatabaseRefusals#refused}: along the cause chain; every cause of a
     * {@code CompositeException}).
     */
    public static boolean refused(Throwable failure) {
        return failure instanceof Unstorable || DatabaseRefusals.refused(failure);
    }

    /** Fails with {@link Unstorable} when {@code occurredAt} is outside PostgreSQL's {@code timestamptz} range. */
    static void checkOccurredAt(Instant occurredAt) {
        if (outOfRange(occurredAt)) {
            throw new Unstorable("field 'occurredAt' " + occurredAt + " is outside PostgreSQL's timestamp range ("
                    + EARLIEST + " to " + LATEST + ")");
        }
    }

    private static boolean outOfRange(Instant t) {
        return t != null && (t.isBefore(EARLIEST) || t.isAfter(LATEST));
    }

    /**
     * Which field of {@code event} was refused, and why: an identifier longer than its column, an {@code occurredAt}
     * out of range, or else the column PostgreSQL names (a constraint's), then PostgreSQL's own message.
     *
     * @param failure the refusal ({@link #refused})
     * @return e.g. {@code field 'objectId' is 600 characters, more than failure_outbox.object_id holds (512) (SQLSTATE
     *         22001: value too long for type character varying(512))}
     */
    static <T> String field(List<IdColumn<T>> ids, T event, Instant occurredAt, Throwable failure) {
        if (failure instanceof Unstorable) {
            return failure.getMessage();
        }
        String database = database(failure);
        for (IdColumn<T> id : ids) {
            String value = StorableText.of(id.value().apply(event));
            if (value != null && value.length() > id.chars()) {
                return "field '" + id.field() + "' is " + value.length() + " characters, more than " + id.column()
                        + " holds (" + id.chars() + ") (" + database + ")";
            }
        }
        if (outOfRange(occurredAt)) {
            return "field 'occurredAt' " + occurredAt + " is outside PostgreSQL's timestamp range (" + database + ")";
        }
        PgException pg = pgException(failure);
        if (pg != null && pg.getColumn() != null) {
            return "column " + pg.getTable() + "." + pg.getColumn() + " (" + database + ")";
        }
        if (pg != null && pg.getConstraint() != null) {
            return "constraint " + pg.getConstraint() + " (" + database + ")";
        }
        return database;
    }

    /** PostgreSQL's SQLSTATE and message, or the {@link Unstorable}'s. */
    private static String database(Throwable failure) {
        PgException pg = pgException(failure);
        if (pg != null) {
            return "SQLSTATE " + pg.getSqlState() + ": " + pg.getErrorMessage();
        }
        SQLException sql = sqlException(failure);
        if (sql != null) {
            return "SQLSTATE " + sql.getSQLState() + ": " + sql.getMessage();
        }
        return failure.getMessage() == null ? failure.toString() : failure.getMessage();
    }

    private static SQLException sqlException(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return sql;
            }
        }
        return null;
    }

    private static PgException pgException(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof PgException pg) {
                return pg;
            }
        }
        return null;
    }
}
