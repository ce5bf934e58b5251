package dev.provisioning.writer.provisioning;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import dev.provisioning.events.ObjectType;
import dev.provisioning.writer.config.WriterConfig;
import dev.provisioning.writer.persistence.WriterStore;
import dev.provisioning.writer.retry.FailureKind;
import dev.provisioning.writer.scim.client.ScimAnswer;
import dev.provisioning.writer.scim.client.ScimCall;
import dev.provisioning.writer.scim.client.ScimClient;
import dev.provisioning.writer.scim.client.TenantTarget;

/**
 * Bulk matching on a job's initial cycle. Operations do not say which cycle is initial, so a cycle in which the job
 * manages no user linked in an earlier cycle is taken as initial (the id map records each link's first cycle): the
 * tenant's users are paged once ({@code writer.bulk-match.page-size} per page) into a {@link TargetSnapshot} that
 * every new user of the job in that cycle is matched against (kept at most {@code writer.bulk-match.ttl}); a user
 * absent from it is created without a match GET (a 409 then means match and link). Because the decision rests on the
 * links' first cycle and not on "no link at all", a writer restarted in the middle of an initial cycle pages the tenant
 * again and goes on matching from the snapshot, instead of spending a GET on every remaining user (which doubled the
 * requests after a crash). A job with users linked in earlier cycles, a tenant with more than
 * {@code writer.bulk-match.max-users} users or a failed page means no snapshot: users are matched one GET each, as
 * Entra does.
 */
@ApplicationScoped
public class BulkMatch {

    private static final Logger LOG = Logger.getLogger(BulkMatch.class);

    private final ScimClient client;
    private final WriterStore store;
    private final WriterConfig config;
    private final Map<String, Entry> byJob = new ConcurrentHashMap<>();

    private record Entry(long expiresAt, Uni<Lookup> snapshot) {
    }

    /**
     * What bulk matching offers an operation: a snapshot, nothing (match with GETs), or the target's refusal of the
     * credentials (the operation fails at once with it).
     */
    public record Lookup(TargetSnapshot snapshot, ScimAnswer unauthorized) {

        static final Lookup NONE = new Lookup(null, null);
    }

    public BulkMatch(ScimClient client, WriterStore store, WriterConfig config) {
        this.client = client;
        this.store = store;
        this.config = config;
    }

    /**
     * The snapshot of the job's cycle, if the job had no linked user when the cycle's first new user came (its initial
     * cycle); completes on the caller's Vert.x context.
     */
    public Uni<Lookup> snapshot(TenantTarget target, String cycleId) {
        if (!config.bulkMatch().enabled()) {
            return Uni.createFrom().item(Lookup.NONE);
        }
        long now = System.nanoTime();
        byJob.values().removeIf(e -> e.expiresAt() <= now);
        String key = target.jobId() + "/" + cycleId;
        Entry entry = byJob.computeIfAbsent(key,
                k -> new Entry(now + config.bulkMatch().ttl().toNanos(), decide(target, k).memoize().indefinitely()));
        Context context = Vertx.currentContext();
        Uni<Lookup> shared = entry.snapshot();
        return context == null ? shared : shared.emitOn(task -> context.runOnContext(ignored -> task.run()));
    }

    private Uni<Lookup> decide(TenantTarget target, String key) {
        String cycleId = key.substring(target.jobId().length() + 1);
        return store.hasLinksBefore(target.jobId(), ObjectType.USER.name(), cycleId).flatMap(linked -> {
            if (linked) {
                return Uni.createFrom().item(Lookup.NONE);
            }
            LOG.infof("job %s has no user linked before cycle %s (its initial cycle): paging the tenant's users to "
                    + "match in bulk", target.jobId(), cycleId);
            return page(target, key, new TargetSnapshot(), 1);
        }).onFailure().recoverWithItem(e -> {
            LOG.warnf("job %s: bulk match unavailable (%s); matching one user at a time", target.jobId(), e.toString());
            byJob.remove(key);
            return Lookup.NONE;
        });
    }

    private Uni<Lookup> page(TenantTarget target, String key, TargetSnapshot snapshot, int startIndex) {
        int count = config.bulkMatch().pageSize();
        ScimCall call = new ScimCall("*", "GET", "/Users?startIndex&count",
                "/Users?startIndex=" + startIndex + "&count=" + count, null);
        return client.send(target, call).flatMap(answer -> {
            JsonNode list = answer.ok() ? answer.json() : null;
            JsonNode resources = list == null ? null : list.get("Resources");
            if (answer.kind() == FailureKind.UNAUTHORIZED) {
                byJob.remove(key);
                return Uni.createFrom().item(new Lookup(null, answer));
            }
            if (list == null || (resources != null && !resources.isArray())) {
                LOG.warnf("job %s: paging users failed at startIndex %d (%s); matching one user at a time",
                        target.jobId(), startIndex, answer.problem());
                byJob.remove(key);
                return Uni.createFrom().item(Lookup.NONE);
            }
            int total = list.path("totalResults").asInt(0);
            if (total > config.bulkMatch().maxUsers()) {
                LOG.infof("job %s: the tenant holds %d users, more than writer.bulk-match.max-users=%d; matching one "
                        + "user at a time", target.jobId(), total, config.bulkMatch().maxUsers());
                return Uni.createFrom().item(Lookup.NONE);
            }
            int received = resources == null ? 0 : resources.size();
            if (resources != null) {
                resources.forEach(snapshot::add);
            }
            int next = startIndex + received;
            if (received == 0 || next > total) {
                LOG.infof("job %s: %d existing Druva users paged for bulk matching", target.jobId(), snapshot.size());
                return Uni.createFrom().item(new Lookup(snapshot, null));
            }
            return page(target, key, snapshot, next);
        });
    }
}
