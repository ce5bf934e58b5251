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
     * How many records may wait for their jobs' configurations at once, all jobs together (memory bound). Beyond it
     * the consumer holds the partition stream until records are resolved (back-pressure: nothing is dropped or
     * dead-lettered for want of room). Default {@code 10000}.
     */
    @WithDefault("10000")
    int maxWaitingRecords();
}
