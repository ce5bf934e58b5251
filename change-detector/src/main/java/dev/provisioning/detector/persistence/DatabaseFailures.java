package dev.provisioning.detector.persistence;

import java.io.IOException;
import java.util.concurrent.TimeoutException;

import io.smallrye.mutiny.CompositeException;
import io.vertx.core.VertxException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.pgclient.PgException;

import dev.provisioning.telemetry.DatabaseRefusals;

/**
 * Which failures of a database call are worth retrying. Shared by every caller that retries while the database fails:
 * the results consumer, the steps that end a cycle whose events went out, the release of held deletions.
 */
public final class DatabaseFailures {

    private DatabaseFailures() {
    }

    /**
     * A failure worth retrying: the database or the connection to it failed or did not answer (a
     * {@link TimeoutException}), or a job kept changing under {@link JobStore#update} (its {@link IllegalStateException}
     * without a cause); a {@link CompositeException} when all its causes are. Not: the database refused the data
     * ({@link #refused}), or anything else.
     */
    public static boolean isTransient(Throwable e) {
        if (e instanceof CompositeException composite) {
            return composite.getCauses().stream().allMatch(DatabaseFailures::isTransient);
        }
        if (e instanceof PgException) {
            return !refused(e);
        }
        return e instanceof VertxException || e instanceof NoStackTraceThrowable || e instanceof IOException
                || e instanceof TimeoutException
                || (e instanceof IllegalStateException && e.getCause() == null);
    }

    /**
     * The database rolled the transaction back because of a concurrent one: SQLSTATE 40001 (serialization failure) or
     * 40P01 (deadlock detected), PostgreSQL's Appendix A. The transaction did nothing; running it again is the remedy
     * PostgreSQL documents (section 13.2.3, "applications should be prepared to retry transactions").
     */
    public static boolean conflict(Throwable e) {
        return e instanceof PgException pg && ("40001".equals(pg.getSqlState()) || "40P01".equals(pg.getSqlState()));
    }

    /**
     * The data itself is wrong for the database, so retrying cannot help (a statement of many rows is halved to find
     * the refused one): SQLSTATE class 22 (data exception) or 23 (integrity constraint violation). Every service's one
     * check, {@link DatabaseRefusals#refused}: a refusal wrapped in an exception of the caller's own is not one (the
     * snapshot generation's write, {@code SnapshotRepository}).
     */
    public static boolean refused(Throwable e) {
        return DatabaseRefusals.refused(e);
    }
}
