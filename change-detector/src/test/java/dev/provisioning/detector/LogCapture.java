package dev.provisioning.detector;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.jboss.logmanager.ExtLogRecord;

/**
 * Collects what this JVM logs (the root logger, so Quarkus's services too) while it is open, each record turned into
 * a {@code T} when it is published, for tests that assert what the log says.
 *
 * @param <T> what a record is kept as
 */
final class LogCapture<T> extends Handler implements AutoCloseable {

    private final Function<LogRecord, T> keep;
    private final List<T> lines = new CopyOnWriteArrayList<>();

    private LogCapture(Function<LogRecord, T> keep) {
        this.keep = keep;
    }

    /** Starts collecting, each record as {@code keep} makes it; close to stop. */
    static <T> LogCapture<T> start(Function<LogRecord, T> keep) {
        LogCapture<T> capture = new LogCapture<>(keep);
        Logger.getLogger("").addHandler(capture);
        return capture;
    }

    /** The record's message with its parameters filled in. */
    static String message(LogRecord record) {
        return record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage();
    }

    /** What was collected so far, in order (a live, thread-safe view). */
    List<T> lines() {
        return lines;
    }

    @Override
    public void publish(LogRecord record) {
        lines.add(keep.apply(record));
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        Logger.getLogger("").removeHandler(this);
    }
}
