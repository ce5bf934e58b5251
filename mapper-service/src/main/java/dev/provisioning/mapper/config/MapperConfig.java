package dev.provisioning.mapper.config;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The mapper-service's configuration, under {@code mapper.*}. */
@ConfigMapping(prefix = "mapper")
public interface MapperConfig {

    /**
     * How long the records of a job whose configuration is not known wait for it to arrive on
     * {@code provisioning.jobs}, counted from the first such record of the job: a wait per job, not per record, and off
     * the partition's critical path (records of other jobs go on meanwhile). Then each is answered with a Failure
     * ({@code JobConfigurationInvalid}) and dead-lettered to {@code provisioning.assignments.dlq}. Must stay below the
     * channel's {@code throttled.unprocessed-record-max-age.ms} (120 s here), past which a record not yet acked marks
     * the consumer unhealthy. Default {@code 30s}.
     */
    @WithDefault("30s")
    Duration jobWaitTimeout();

    /**
     * How many records may wait for their jobs' configurations at once, all jobs together (memory bound). While that
     * many are parked the consumer holds the partition stream until one is resolved (back-pressure: nothing is dropped
     * or dead-lettered for want of room). Parked records are resolved, however many at once, within
     * {@link #maxInFlight()}. Default {@code 10000}.
     */
    @WithDefault("10000")
    int maxWaitingRecords();

    /**
     * How many records waiting for their job's configuration are resolved at once, all jobs together (processed when
     * the configuration arrives, or answered and dead-lettered when the wait ends or the job is deleted): each holds a
     * room from its turn until its operation, result or dead letter is acked, so a configuration, timeout or tombstone
     * that resolves thousands of records sends at most this many at once. Records taken from Kafka are not counted here:
     * they come a poll at a time ({@code max.poll.records}, 500), and every send goes through its channel's bound of
     * 512 sends in flight. Must not exceed the {@code max-inflight-messages} of the {@code operations} and
     * {@code results} channels (SmallRye's default 1024; checked at start-up). Default {@code 256}.
     */
    @WithDefault("256")
    int maxInFlight();

    /**
     * How many polls of {@code provisioning.assignments} may be open at once: taken from Kafka and not acked yet. A poll
     * is acked only when its last record is finished, so a poll holding a record that waits for its job's configuration
     * stays open (and keeps its records in memory) until that record is resolved; the poll in process counts too. While
     * this many are open the consumer holds the stream until one is acked (back-pressure, nothing is dropped). Default
     * {@code 64} (at most 32,000 records at 500 per poll, about 32 MB of 1 KB records).
     */
    @WithDefault("64")
    int maxOpenBatches();
}
