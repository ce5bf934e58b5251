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
     * How many assignment records are in process at once, all partitions and jobs together: taken from Kafka, and their
     * operation or result not yet acked by the broker (gauge {@code provisioning.mapper.records.in.flight}). The
     * consumer takes the next record as soon as there is room instead of waiting for each record's produce ack (about
     * 7 ms with the producer's 5 ms linger), so records are batched by the producer; beyond it the partition stream
     * waits. A record waiting for its job's configuration does not count while it waits, only while it is processed or
     * given up (see {@link #maxWaitingRecords()}). Must not
     * exceed the {@code max-inflight-messages} of the {@code operations} and {@code results} channels (SmallRye's
     * default 1024; checked at start-up), so the emitters never need their 128-message buffers. Default {@code 256}.
     */
    @WithDefault("256")
    int maxInFlight();
}
