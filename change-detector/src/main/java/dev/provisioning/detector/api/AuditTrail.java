package dev.provisioning.detector.api;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What an audit entry says changed: the API names of the fields whose value differs between a job's view before and
 * after a change ({@code tenantUrl}, {@code source.directoryFile}, {@code source.graph.authorityUrl}, ...), and the
 * secrets that were replaced by name only ({@code secretToken}, {@code source.graph.clientSecret}). Values are never
 * part of it. Plain Java.
 */
final class AuditTrail {

    /** Who changed the job: the caller's principal name, or this when the token names none. */
    static final String UNKNOWN_ACTOR = "unknown";

    /**
     * What the job keeps for itself on every save, says of secrets only as "set", or shows twice
     * ({@code provisioningStatus} is {@code state} as a request sends it: the audit names {@code state}).
     */
    private static final Set<String> NOT_FIELDS = Set.of("id", "revision", "updatedAt", "secretTokenConfigured",
            "clientSecretSet", "provisioningStatus");

    private AuditTrail() {
    }

    /**
     * The names of the fields that differ, in the view's order.
     *
     * @param before the job before the change; null when it is created (every field that has a value is named)
     * @param after the job after the change; null when it is deleted (none is named)
     * @param secretsReplaced the secrets the request sent (they count as changed even when equal: never compared)
     */
    static List<String> changed(JobView before, JobView after, List<String> secretsReplaced) {
        List<String> fields = new ArrayList<>();
        if (after != null) {
            diff(before, after, "", fields);
        }
        fields.addAll(secretsReplaced);
        return List.copyOf(fields);
    }

    /** The secrets a request sends, by field name. */
    static List<String> secretsIn(JobRequest request) {
        List<String> secrets = new ArrayList<>();
        if (request.secretToken() != null && !request.secretToken().isBlank()) {
            secrets.add("secretToken");
        }
        if (request.source() != null && request.source().graph() != null
                && request.source().graph().clientSecret() != null
                && !request.source().graph().clientSecret().isBlank()) {
            secrets.add("source.graph.clientSecret");
        }
        return secrets;
    }

    private static void diff(Record before, Record after, String prefix, List<String> fields) {
        for (RecordComponent component : after.getClass().getRecordComponents()) {
            if (NOT_FIELDS.contains(component.getName())) {
                continue;
            }
            Object old = before == null ? null : value(component, before);
            Object now = value(component, after);
            String name = prefix + component.getName();
            if (now != null && nested(now)) {
                diff((Record) old, (Record) now, name + ".", fields);
            } else if (!Objects.equals(old, now)) {
                fields.add(name);
            }
        }
    }

    /** The parts of a job named field by field (the source and its Graph settings). */
    private static boolean nested(Object value) {
        return value instanceof JobView.SourceView || value instanceof GraphSourceView;
    }

    private static Object value(RecordComponent component, Record record) {
        try {
            return component.getAccessor().invoke(record);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read " + component.getName(), e);
        }
    }
}
