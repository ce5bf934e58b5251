package dev.provisioning.writer.throughput;

/**
 * How writer replicas share a tenant's budget: each live replica takes an equal part. Live replicas are counted from
 * a heartbeat table in PostgreSQL ({@code writer_replica}); see the module README.
 */
public final class ReplicaShare {

    private ReplicaShare() {
    }

    /** This replica's part of the tenant's rate: {@code total / live}. */
    public static double rate(double total, int liveReplicas) {
        return total / Math.max(1, liveReplicas);
    }

    /** This replica's part of the tenant's in-flight cap: {@code floor(total / live)}, at least 1. */
    public static int inFlight(int total, int liveReplicas) {
        return Math.max(1, total / Math.max(1, liveReplicas));
    }
}
