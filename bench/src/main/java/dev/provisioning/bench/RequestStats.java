package dev.provisioning.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.druva.RecordedRequest;

/**
 * What the Druva-compatible server's request log says about one scenario.
 *
 * @param total every SCIM request, answered or rejected
 * @param byRequest counts by {@code METHOD /Resource STATUS}, e.g. {@code POST /Users 201}
 * @param userRequests requests on {@code /Users} (match, create, update, disable)
 * @param groupRequests requests on {@code /Groups}
 * @param membershipRequests {@code PATCH /Groups/{id}} (members added or removed, several per request)
 * @param throttled answers 429
 * @param serverErrors answers 5xx
 * @param perObject {@code total / objects}
 * @param perCreatedUser {@code userRequests / users created} (Entra: 2, a match and a create); null when the scenario
 *        does not create users in bulk (incremental)
 * @param perMembership {@code membershipRequests / memberships} in place (null for the incremental scenario)
 * @param acceptedPerSecond requests not answered 429, from the first request to the last
 * @param creationPerSecond requests not answered 429 from the first request to the last {@code POST /Users}: the
 *        phase in which the writer always has users waiting (afterwards the job waits for its follow-up cycle, which
 *        adds the members the first could not, so the whole run's rate says less about the writer)
 * @param percentOfLimit {@code creationPerSecond} as a share of the server's rate limit (null when unlimited)
 */
record RequestStats(int total, Map<String, Integer> byRequest, int userRequests, int groupRequests,
        int membershipRequests, int throttled, int serverErrors, Double perObject, Double perCreatedUser,
        Double perMembership, Double acceptedPerSecond, Double creationPerSecond, Double percentOfLimit) {

    /**
     * @param objects the scenario's objects (changes for the incremental scenario)
     * @param usersCreated 0 when requests per created user do not apply
     * @param memberships 0 when requests per membership do not apply
     */
    static RequestStats of(List<RecordedRequest> log, long objects, long usersCreated, long memberships,
            double rateLimit) {
        Map<String, Integer> byRequest = new TreeMap<>();
        int users = 0, groups = 0, membership = 0, throttled = 0, errors = 0, accepted = 0;
        Instant first = null, last = null, lastCreate = null;
        for (RecordedRequest r : log) {
            String path = r.path().startsWith(DruvaScimServer.BASE_PATH)
                    ? r.path().substring(DruvaScimServer.BASE_PATH.length())
                    : r.path();
            String resource = path.startsWith("/Users") ? "/Users" : path.startsWith("/Groups") ? "/Groups" : path;
            byRequest.merge(r.method() + " " + resource + " " + r.status(), 1, Integer::sum);
            if (resource.equals("/Users")) {
                users++;
                if (r.method().equals("POST") && (lastCreate == null || r.timestamp().isAfter(lastCreate))) {
                    lastCreate = r.timestamp();
                }
            } else if (resource.equals("/Groups")) {
                groups++;
                if (r.method().equals("PATCH")) {
                    membership++;
                }
            }
            if (r.status() == 429) {
                throttled++;
            } else {
                accepted++;
            }
            if (r.status() >= 500) {
                errors++;
            }
            first = first == null || r.timestamp().isBefore(first) ? r.timestamp() : first;
            last = last == null || r.timestamp().isAfter(last) ? r.timestamp() : last;
        }
        Double perSecond = null, creationPerSecond = null;
        if (first != null && last.isAfter(first)) {
            perSecond = accepted / (Duration.between(first, last).toNanos() / 1e9);
        }
        if (first != null && lastCreate != null && lastCreate.isAfter(first)) {
            Instant end = lastCreate;
            long inPhase = log.stream().filter(r -> r.status() != 429 && !r.timestamp().isAfter(end)).count();
            creationPerSecond = inPhase / (Duration.between(first, end).toNanos() / 1e9);
        }
        return new RequestStats(log.size(), byRequest, users, groups, membership, throttled, errors,
                objects == 0 ? null : log.size() / (double) objects,
                usersCreated == 0 ? null : users / (double) usersCreated,
                memberships == 0 ? null : membership / (double) memberships, perSecond, creationPerSecond,
                rateLimit > 0 && creationPerSecond != null ? 100 * creationPerSecond / rateLimit : null);
    }
}
