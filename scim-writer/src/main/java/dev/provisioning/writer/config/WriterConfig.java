package dev.provisioning.writer.config;

import java.time.Duration;
import java.util.List;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * The scim-writer's configuration (prefix {@code writer}). Every key can be set as an environment variable
 * ({@code WRITER_HTTP_READ_TIMEOUT}, ...). The job secret key is separate: {@code provisioning.secret-key}.
 */
@ConfigMapping(prefix = "writer")
public interface WriterConfig {

    /** HTTP settings towards Druva. */
    Http http();

    /**
     * Whether a connection test may send a token over plain http to a loopback host (localhost, 127.0.0.0/8, ::1);
     * every other tenant URL must be https ({@code SecureUrls}, the change-detector's rule). Default false; the run
     * command and the tests, whose SCIM servers listen on loopback without TLS, set it.
     */
    @WithDefault("false")
    boolean allowInsecureLoopback();

    /** Retries of transient failures. */
    Retry retry();

    /**
     * How long the operations of a job whose configuration is not known wait for it on {@code provisioning.jobs},
     * counted per job from its first waiting operation, off the partition's critical path (other jobs' operations go
     * on meanwhile); then each is answered with a Failure {@code JobConfigurationInvalid} and dead-lettered to
     * {@code provisioning.operations.dlq} with the reason. A deleted job's operations are dead-lettered at once.
     * Default {@code 30s}.
     */
    @WithDefault("30s")
    Duration jobWaitTimeout();

    /** The per-tenant lanes of operations (see {@code dev.provisioning.writer.lanes.Lanes}). */
    Lanes lanes();

    /** The per-tenant request budget (a tenant is a tenant URL; every job on it shares the budget). */
    RateLimit rateLimit();

    /** How many objects of one batch are worked on at once (each keeps its own operations in order). */
    Concurrency concurrency();

    /** Objects whose requests keep failing transiently after the in-request retries. */
    Escrow escrow();

    /** Matching in bulk on a job's initial cycle. */
    BulkMatch bulkMatch();

    /** Unexpected failures of the writer's own infrastructure (database down, ...): retried before escrow. */
    InfrastructureRetry infrastructureRetry();

    /** Members per group PATCH request (one {@code Add} or {@code Remove} each). Default {@code 50}. */
    @WithDefault("50")
    int groupMemberChunkSize();

    /** How replicas find each other to share each tenant's budget (a heartbeat table in PostgreSQL). */
    Replicas replicas();

    /** How long the idempotency records ({@code processed_operation}) are kept, and how they are purged. */
    ProcessedOperations processedOperation();

    interface RateLimit {
        /**
         * Requests per second per tenant, for all writer replicas together (each replica takes an equal share).
         * Default {@code 25} (what a gallery app must sustain).
         */
        @WithDefault("25")
        double perSecond();

        /**
         * Requests in flight per tenant, for all replicas together (each takes an equal share, at least 1). Default
         * {@code 32}: enough for 25 requests/s at up to about 1.2 s latency.
         */
        @WithDefault("32")
        int maxInFlight();

        /**
         * The lowest rate (requests/s) the adaptive limit halves down to after 429s (one halving per round trip: a
         * 429 to a request sent before the last halving does not halve again). Default {@code 0.5}.
         */
        @WithDefault("0.5")
        double minPerSecond();

        /**
         * How fast the rate recovers after a 429: the fraction of the full rate regained per answer (not 429, not a
         * transient failure) to a request sent after the last halving. Default {@code 0.05}: from half the rate back
         * to the full rate in 10 answers (about 0.6 s at 25 requests/s), from the floor in 20 (about 3 s).
         */
        @WithDefault("0.05")
        double recovery();
    }

    interface Concurrency {
        /**
         * Objects of one tenant worked on at once (each keeps its own operations in order; tenants do not share it).
         * Default {@code 64}.
         */
        @WithDefault("64")
        int objects();
    }

    interface Lanes {
        /**
         * Operation records taken from Kafka and not acked yet, all tenants together (the consumer's memory bound);
         * beyond it the partition stream is held. From 80 % of it on (operations in the lanes), an operation of a new
         * object arriving at a lane that holds its share or more (the lanes' total over the non-empty lanes, at most the
         * rooms left, at least {@code writer.concurrency.objects}) is deferred to PostgreSQL (and acked), so slow
         * tenants cannot fill it and hold back the others (issue 12). Each record held keeps its Kafka record and
         * parsed operation in memory. Default {@code 2000} (issue 13: was 10,000).
         */
        @WithDefault("2000")
        int maxRecords();

        /**
         * Operations one tenant's lane holds; an operation of a new object beyond it is deferred to PostgreSQL (and
         * acked) until the lane has room, so one tenant never takes the whole {@code max-records}; above 80 % of
         * {@code max-records} the lane's share applies too (see {@code max-records}). Default {@code 1500}: over 20
         * times the {@code writer.concurrency.objects} (64) a lane runs at once (issue 13: was 6,000).
         */
        @WithDefault("1500")
        int recordsPerTenant();

        /**
         * How long an object's next operation may wait in its lane without starting before it is deferred (a tenant
         * that became slow); keeps every record well below the channel's {@code unprocessed-record-max-age}. Default
         * {@code 5m}.
         */
        @WithDefault("5m")
        Duration maxWait();

        /**
         * How often lanes are checked for operations waiting too long, and the backstop of the releases: deferred
         * operations are released as their tenant's lane drains (each operation done), and every interval each tenant
         * with due deferred operations in PostgreSQL (deferred by another replica, before a restart, or whose release
         * failed) is released to if its lane has room. Default {@code 2s}.
         */
        @WithDefault("2s")
        Duration releaseInterval();

        /**
         * How long a lane keeps the room of a released deferred operation for it until it arrives (it waits for a room
         * of {@code writer.lanes.max-records}, or its job's configuration): new objects arriving meanwhile are deferred
         * rather than take it (else the released one would be deferred again, in a loop). It lapses after this (the
         * operation was handed back to Kafka by a rebalance, or superseded). Default {@code 5s}.
         */
        @WithDefault("5s")
        Duration releaseReservation();

        /**
         * Two bounds of the hand-over of {@code provisioning.operations} partitions (issue 13):
         * <ul>
         * <li>How long a deferred operation released straight into its lane (by the replica that holds its partition)
         * stays claimed: a crash before it is carried out releases it again after this, not after
         * {@code writer.escrow.lease} (10 minutes). While it is still in a lane of this replica, a claim that finds it
         * again leaves it there (no second copy), so a lane slower than this costs a claim, not a repeat.</li>
         * <li>How long a revocation of partitions (a rebalance) waits at most for the operations running under them
         * before the group goes on without them ({@code OperationsPartitions}): the new owner starts after them unless
         * one outlasts this (a Druva request in its retry budget). A clean shutdown does not wait that long: its
         * running operations are given {@code writer.lanes.stop-grace} to finish, then abandoned (their records are
         * consumed again by the new owner).</li>
         * </ul>
         * Default {@code 30s}.
         */
        @WithDefault("30s")
        Duration releaseLease();

        /**
         * How long a clean shutdown lets the operations running in the lanes finish (a Druva request answered, its
         * result published) before it abandons the others (issue 13, tenth round): they stop where they are, as in a
         * crash, their records are not acked and the replica that gets their partitions consumes them again
         * (at-least-once; the id map and {@code processed_operation} make the repeat idempotent). No operation starts
         * once the shutdown began. Without it a shutdown waited up to {@code release-lease} (30 s) at the revocation
         * for operations in their retry budget. Default {@code 2s}.
         */
        @WithDefault("2s")
        Duration stopGrace();
    }

    interface Escrow {
        /**
         * The waits before the first scheduled retries, counted from each failure. Default {@code 6h,12h,24h}
         * (Entra's).
         */
        @WithDefault("6h,12h,24h")
        List<Duration> schedule();

        /** The wait between later retries. Default {@code 24h}. */
        @WithDefault("24h")
        Duration thenEvery();

        /** When an object still fails this long after its first failure, it is dropped. Default {@code 28d}. */
        @WithDefault("672h")
        Duration giveUpAfter();

        /** How often due escrows are looked for (and the escrow gauge refreshed). Default {@code 1m}. */
        @WithDefault("1m")
        Duration pollInterval();

        /** A republished escrow not processed within this time is republished. Default {@code 10m}. */
        @WithDefault("10m")
        Duration lease();
    }

    interface BulkMatch {
        /**
         * Page through the target's users once when a job has no linked user yet (its initial cycle), and match
         * from that snapshot instead of one GET per user. Default {@code true}.
         */
        @WithDefault("true")
        boolean enabled();

        /** Users per page ({@code count}). Default {@code 100}. */
        @WithDefault("100")
        int pageSize();

        /** A target with more users than this is not paged; users are matched one by one. Default {@code 50000}. */
        @WithDefault("50000")
        int maxUsers();

        /** How long a snapshot (or the decision that the job is not initial) is used. Default {@code 30m}. */
        @WithDefault("30m")
        Duration ttl();
    }

    interface InfrastructureRetry {
        /** Attempts, the first included. Default {@code 5}. */
        @WithDefault("5")
        int maxAttempts();

        /** Backoff before the second attempt; doubles each time. Default {@code 500ms}. */
        @WithDefault("500ms")
        Duration baseDelay();

        /** The largest backoff. Default {@code 10s}. */
        @WithDefault("10s")
        Duration maxDelay();
    }

    interface Replicas {
        /** How often this replica writes its heartbeat. Default {@code 5s}. */
        @WithDefault("5s")
        Duration heartbeatInterval();

        /** A replica whose heartbeat is older than this is no longer counted. Default {@code 20s}. */
        @WithDefault("20s")
        Duration liveness();
    }

    interface ProcessedOperations {
        /**
         * How long a processed operation is remembered: a redelivered operation younger than this re-emits its stored
         * result instead of calling Druva again; older rows are deleted. Default {@code 30d}: far longer than Kafka's
         * default topic retention (7 days, {@code retention.ms}) and than any redelivery of an uncommitted batch, so a
         * redelivered record always still finds its row. Keep it longer than {@code provisioning.operations}' retention
         * if that topic keeps records longer.
         */
        @WithDefault("30d")
        Duration retention();

        /**
         * How often the rows older than the retention are purged, by every replica (concurrent purges skip each
         * other's rows). The first purge runs a minute after start. Default {@code 1h}.
         */
        @WithDefault("1h")
        Duration purgeInterval();

        /**
         * Rows deleted per statement (each is its own short transaction); a purge repeats until a statement deletes
         * fewer. Default {@code 10000}.
         */
        @WithDefault("10000")
        int purgeBatchSize();
    }

    interface Http {
        /** Time to open a TCP (and TLS) connection to the tenant. Default {@code 5s}. */
        @WithDefault("5s")
        Duration connectTimeout();

        /**
         * Time to wait for a complete answer to one request; an exceeded timeout is a transient failure. Default
         * {@code 30s}.
         */
        @WithDefault("30s")
        Duration readTimeout();

        /**
         * Connections open to one host at most, all tenants on it together (Druva's tenants share
         * {@code apis.druva.com}): well above the tenants' in-flight caps together, so that a slow tenant's requests
         * never make another tenant's wait for a connection (each tenant is held to its own cap by its gate). Default
         * {@code 512}.
         */
        @WithDefault("512")
        int maxConnections();
    }

    interface Retry {
        /** Attempts per request, the first included; 1 disables retries. Default {@code 12}. */
        @WithDefault("12")
        int maxAttempts();

        /** Backoff before the second attempt; it doubles for each further attempt. Default {@code 1s}. */
        @WithDefault("1s")
        Duration baseDelay();

        /** The largest backoff between two attempts (a larger Retry-After is still honoured). Default {@code 60s}. */
        @WithDefault("60s")
        Duration maxDelay();

        /**
         * How long after an operation's first failure a retry may still start, for all its requests together; then
         * the operation is escrowed (its Failure result says when it is retried). Minutes, so that a burst of server
         * errors or throttling is ridden out without escrow. Also how long a tenant must have answered nothing before
         * it counts as down. Default {@code 5m}.
         */
        @WithDefault("5m")
        Duration maxDuration();

        /**
         * While a tenant is down (an operation exhausted its retries and no request was answered for
         * {@code max-duration}), its operations are escrowed without being sent, except one every this long, which
         * probes whether it is back. Default {@code 1m}.
         */
        @WithDefault("1m")
        Duration probeInterval();
    }
}
