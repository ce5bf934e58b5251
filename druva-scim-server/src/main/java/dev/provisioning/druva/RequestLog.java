package dev.provisioning.druva;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The SCIM request log, in arrival order. An entry is reserved when a request arrives and completed with the
 * status just before the response is written, so a client that has its answer always finds the final status.
 */
final class RequestLog {

    private final List<Entry> entries = new ArrayList<>();

    synchronized Entry begin(String method, String path, String query, String body) {
        Entry entry = new Entry(method, path, query, body, Instant.now());
        entries.add(entry);
        return entry;
    }

    synchronized List<RecordedRequest> snapshot() {
        return entries.stream().map(Entry::snapshot).toList();
    }

    synchronized void clear() {
        entries.clear();
    }

    static final class Entry {
        private final String method;
        private final String path;
        private final String query;
        private final String body;
        private final Instant timestamp;
        private volatile int status;

        private Entry(String method, String path, String query, String body, Instant timestamp) {
            this.method = method;
            this.path = path;
            this.query = query;
            this.body = body;
            this.timestamp = timestamp;
        }

        void complete(int status) {
            this.status = status;
        }

        RecordedRequest snapshot() {
            return new RecordedRequest(method, path, query, body, status, timestamp);
        }
    }
}
