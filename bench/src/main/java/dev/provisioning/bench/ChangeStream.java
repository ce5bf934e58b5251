package dev.provisioning.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.druva.RecordedRequest;
import dev.provisioning.events.Json;

/**
 * The incremental scenario's changes: at a steady rate, changes to distinct users of a large directory, each written
 * to the directory file (once a second, atomically) and timed from the moment the file holds it. Then, from the
 * Druva-compatible server's request log, when each change reached Druva: the first successful request that stores it
 * ({@code PATCH /Users/{id}} for a change to a user Druva holds, {@code POST /Users} with its userName for a user to
 * create). The server stores a change in the same call that logs its arrival (the scenario adds no latency), so the
 * arrival time is the time Druva holds the change.
 */
final class ChangeStream {

    /** What a change does in the source, and the request that carries it to Druva. */
    enum Kind {
        /** displayName changes: PATCH. */
        RENAME,
        /** mail changes: PATCH of the work email. */
        EMAIL,
        /** accountEnabled becomes false: PATCH active. */
        DISABLE,
        /** a disabled user Druva never held is enabled: POST. */
        ENABLE,
        /** a new user, member of a group: POST (and a membership PATCH later). */
        ADD
    }

    /** One change and when the directory file held it. */
    record Change(int index, Kind kind, String userId, String userName, Instant written) {
    }

    /**
     * When each change reached Druva.
     *
     * @param latencies milliseconds from the file to Druva, per delivered change, in change order
     * @param undelivered changes not in Druva (yet)
     */
    record Delivery(List<Double> latencies, List<Change> undelivered) {

        /** The latency that {@code fraction} of the delivered changes did not exceed (nearest rank). */
        Double percentile(double fraction) {
            if (latencies.isEmpty()) {
                return null;
            }
            List<Double> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            int rank = (int) Math.ceil(fraction * sorted.size());
            return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
        }
    }

    private final BenchDirectory directory;
    private final Path file;
    private final List<BenchDirectory.User> active = new ArrayList<>();
    private final List<BenchDirectory.User> enableable = new ArrayList<>();

    /**
     * @param held the ids of the users Druva holds now (the active ones are renamed, re-mailed or disabled)
     */
    ChangeStream(BenchDirectory directory, Path file, Set<String> held) {
        this.directory = directory;
        this.file = file;
        for (BenchDirectory.User u : directory.users()) {
            if (held.contains(u.id()) && directory.provisioned(u)) {
                active.add(u);
            } else if (!held.contains(u.id()) && !u.accountEnabled() && u.mail() != null && u.inScope()
                    && directory.assigned(u.id())) {
                enableable.add(u);
            }
        }
        Collections.shuffle(active, directory.random());
        Collections.shuffle(enableable, directory.random());
    }

    /**
     * Makes {@code perSecond} changes a second for {@code duration}, writing the file once a second; blocks until
     * done.
     */
    List<Change> run(double perSecond, Duration duration) {
        List<Change> changes = new ArrayList<>();
        int total = (int) Math.round(perSecond * duration.toMillis() / 1000.0);
        long start = System.nanoTime();
        int tick = 0;
        while (changes.size() < total) {
            tick++;
            sleepUntil(start + tick * 1_000_000_000L);
            int due = (int) Math.min(total, Math.round(perSecond * tick));
            List<BenchDirectory.User> touched = new ArrayList<>();
            List<Kind> kinds = new ArrayList<>();
            while (changes.size() + touched.size() < due) {
                Kind kind = pick();
                touched.add(apply(kind, changes.size() + touched.size()));
                kinds.add(kind);
            }
            directory.write(file);
            Instant written = Instant.now();
            for (int i = 0; i < touched.size(); i++) {
                changes.add(new Change(changes.size(), kinds.get(i), touched.get(i).id(),
                        touched.get(i).userPrincipalName(), written));
            }
        }
        return changes;
    }

    private Kind pick() {
        double r = directory.random().nextDouble();
        Kind kind = r < 0.6
                ? Kind.RENAME
                : r < 0.7 ? Kind.EMAIL : r < 0.8 ? Kind.DISABLE : r < 0.9 ? Kind.ENABLE : Kind.ADD;
        if (kind == Kind.ENABLE && enableable.isEmpty()) {
            kind = Kind.ADD;
        }
        if ((kind == Kind.RENAME || kind == Kind.EMAIL || kind == Kind.DISABLE) && active.isEmpty()) {
            kind = Kind.ADD;
        }
        return kind;
    }

    private BenchDirectory.User apply(Kind kind, int index) {
        return switch (kind) {
            case RENAME -> change(active.remove(active.size() - 1),
                    u -> u.withDisplayName(u.givenName() + " " + u.surname() + " (renamed " + index + ")"));
            case EMAIL -> change(active.remove(active.size() - 1),
                    u -> u.withMail("changed-" + index + "-" + u.userPrincipalName()));
            case DISABLE -> change(active.remove(active.size() - 1), u -> u.withEnabled(false));
            case ENABLE -> change(enableable.remove(enableable.size() - 1), u -> u.withEnabled(true));
            case ADD -> directory.addUser();
        };
    }

    private BenchDirectory.User change(BenchDirectory.User user,
            java.util.function.UnaryOperator<BenchDirectory.User> change) {
        BenchDirectory.User changed = change.apply(user);
        directory.replace(changed);
        return changed;
    }

    /**
     * Finds when each change reached Druva.
     *
     * @param idsByUserName Druva's ids of the users it held before the changes, by lower-case userName
     * @param log the request log since the changes started
     */
    static Delivery delivery(List<Change> changes, Map<String, String> idsByUserName, List<RecordedRequest> log) {
        Map<String, TreeMap<Instant, Integer>> patches = new HashMap<>();
        Map<String, TreeMap<Instant, Integer>> posts = new HashMap<>();
        for (RecordedRequest r : log) {
            if (r.status() < 200 || r.status() > 299) {
                continue;
            }
            String path = r.path().substring(Math.min(r.path().length(), DruvaScimServer.BASE_PATH.length()));
            if (r.method().equals("PATCH") && path.startsWith("/Users/")) {
                patches.computeIfAbsent(path.substring("/Users/".length()), k -> new TreeMap<>())
                        .put(r.timestamp(), r.status());
            } else if (r.method().equals("POST") && path.equals("/Users")) {
                try {
                    JsonNode body = Json.mapper().readTree(r.body());
                    String userName = body.path("userName").asText().toLowerCase(Locale.ROOT);
                    posts.computeIfAbsent(userName, k -> new TreeMap<>()).put(r.timestamp(), r.status());
                } catch (java.io.IOException e) {
                    // not a user the benchmark made: ignore
                }
            }
        }
        List<Double> latencies = new ArrayList<>();
        List<Change> undelivered = new ArrayList<>();
        for (Change c : changes) {
            String userName = c.userName().toLowerCase(Locale.ROOT);
            TreeMap<Instant, Integer> requests = switch (c.kind()) {
                case RENAME, EMAIL, DISABLE -> patches.get(idsByUserName.get(userName));
                case ENABLE, ADD -> posts.get(userName);
            };
            Instant arrived = requests == null ? null : requests.ceilingKey(c.written());
            if (arrived == null) {
                undelivered.add(c);
            } else {
                latencies.add(Duration.between(c.written(), arrived).toNanos() / 1e6);
            }
        }
        return new Delivery(latencies, undelivered);
    }

    private static void sleepUntil(long nanos) {
        long wait = nanos - System.nanoTime();
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }
}
