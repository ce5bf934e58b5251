package dev.provisioning.mapper.config;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The mapper-service's configuration, under {@code mapper.*}. */
@ConfigMapping(prefix = "mapper")
public interface MapperConfig {

    /**
     * How long an assignment event waits for its job's configuration to arrive on {@code provisioning.jobs} before it
     * is answered with a Failure ({@code JobConfigurationInvalid}). Default {@code 60s}.
     */
    @WithDefault("60s")
    Duration jobWaitTimeout();
}
