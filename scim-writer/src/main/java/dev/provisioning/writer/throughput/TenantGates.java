package dev.provisioning.writer.throughput;

import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import dev.provisioning.events.job.JobDirectory;
import dev.provisioning.events.job.JobState;
import dev.provisioning.writer.config.WriterConfig;
import dev.provisioning.writer.config.WriterMeters;

/**
 * One gate per tenant (tenant URL): requests to a tenant pass its in-flight cap, then its adaptive rate. Each
 * replica's gate gets {@code 1/n} of the configured budget, where {@code n} is the number of live replicas
 * ({@link ReplicaHeartbeat}).
 */
@ApplicationScoped
public class TenantGates {

    private static final Logger LOG = Logger.getLogger(TenantGates.class);

    private final Vertx vertx;
    private final WriterConfig config;
    private final MeterRegistry registry;
    private final Map<String, Gate> gates = new ConcurrentHashMap<>();
    private final Set<String> jobsWithGauges = ConcurrentHashMap.newKeySet();
    private volatile int liveReplicas = 1;

    public TenantGates(Vertx vertx, WriterConfig config, MeterRegistry registry) {
        this.vertx = vertx;
        this.config = config;
        this.registry = registry;
    }

    /** The gate of the tenant; registers the job's rate-limit and in-flight gauges the first time. */
    public Gate gate(String jobId, String tenantUrl) {
        Gate gate = gates.computeIfAbsent(tenantKey(tenantUrl), key -> new Gate(key, share(), inFlightShare()));
        if (jobsWithGauges.add(jobId)) {
            Gauge.builder(WriterMeters.RATE_LIMIT, gate, g -> g.rate.rate())
                    .description("The current request rate limit of the job's tenant on this replica (requests/s)")
                    .tag(PROVISIONING_JOB, jobId)
                    .register(registry);
            Gauge.builder(WriterMeters.REQUESTS_IN_FLIGHT, gate, g -> g.inFlight.inUse())
                    .description("Requests in flight to the job's tenant from this replica")
                    .tag(PROVISIONING_JOB, jobId)
                    .register(registry);
        }
        return gate;
    }

    /** The number of live replicas changed: every tenant's share follows. */
    public void liveReplicas(int live) {
        int previous = liveReplicas;
        liveReplicas = Math.max(1, live);
        if (previous != liveReplicas) {
            LOG.infof("%d live scim-writer replicas: each tenant gets %.2f requests/s and %d in flight here",
                    liveReplicas, share(), inFlightShare());
            gates.values().forEach(g -> {
                g.rate.ceiling(share());
                g.inFlight.max(inFlightShare());
            });
        }
    }

    public int liveReplicas() {
        return liveReplicas;
    }

    private double share() {
        return ReplicaShare.rate(config.rateLimit().perSecond(), liveReplicas);
    }

    private int inFlightShare() {
        return ReplicaShare.inFlight(config.rateLimit().maxInFlight(), liveReplicas);
    }

    /**
     * The key of a tenant URL: lower-case, without a trailing slash. Every job on one tenant URL shares its request
     * budget, its health and its lane.
     */
    public static String tenantKey(String tenantUrl) {
        String key = tenantUrl.trim().toLowerCase(Locale.ROOT);
        return key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
    }

    /**
     * Whether {@code tenant} (a {@link #tenantKey}) is the only tenant with a job that is not paused among
     * {@code jobs}: then no other job's operation can arrive while its operations flood the stream (issue 13's keeping
     * of a flood's operations in its lane, {@link dev.provisioning.writer.lanes.Lanes}).
     */
    public static boolean soleActiveTenant(JobDirectory jobs, String tenant) {
        return jobs.allMatch(job -> job.state() == JobState.PAUSED || tenantKey(job.tenantUrl()).equals(tenant));
    }

    /** One tenant's in-flight cap and adaptive rate. */
    public final class Gate {

        private final String tenant;
        final AdaptiveRate rate;
        final InFlight inFlight;
        private final Pacer pacer;

        Gate(String tenant, double ratePerSecond, int maxInFlight) {
            this.tenant = tenant;
            this.rate = new AdaptiveRate(ratePerSecond, config.rateLimit().minPerSecond(),
                    config.rateLimit().recovery(), System.nanoTime());
            this.inFlight = new InFlight(maxInFlight);
            this.pacer = new Pacer(rate, System::nanoTime, (delayNanos, task) -> vertx
                    .setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(delayNanos + 999_999)), id -> task.run()));
        }

        /**
         * Completes, on the caller's Vert.x context, once the request may be sent: a permit in flight is held (give
         * it back with {@link #release()}) and the rate allows it.
         */
        public Uni<Void> acquire() {
            return Uni.createFrom().emitter(emitter -> {
                Context context = Vertx.currentContext();
                Runnable granted = () -> pacer.submit(() -> resume(context, () -> emitter.complete(null)));
                if (inFlight.acquire(granted)) {
                    granted.run();
                }
            });
        }

        public void release() {
            inFlight.release();
        }

        /**
         * The target answered 429: pause for its Retry-After and, once per round trip, halve the rate.
         *
         * @param sentAt when the throttled request was sent ({@link System#nanoTime()})
         * @param retryAfterNanos the target's {@code Retry-After}, or 0 for none
         */
        public void throttled(long sentAt, long retryAfterNanos) {
            if (rate.throttled(System.nanoTime(), sentAt, retryAfterNanos)) {
                LOG.infof("tenant %s answered 429 (Retry-After %d ms): rate now %.2f requests/s", tenant,
                        TimeUnit.NANOSECONDS.toMillis(retryAfterNanos), rate.rate());
            }
        }

        /**
         * The target answered a request with anything but 429 (and not a transient failure): the rate recovers.
         *
         * @param sentAt when the answered request was sent ({@link System#nanoTime()})
         */
        public void answered(long sentAt) {
            rate.answered(sentAt);
        }

        public double currentRate() {
            return rate.rate();
        }

        private static void resume(Context context, Runnable task) {
            if (context == null) {
                task.run();
            } else {
                context.runOnContext(ignored -> task.run());
            }
        }
    }
}
