package dev.provisioning.writer.config;

import java.time.Duration;

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

    /** Retries of transient failures. */
    Retry retry();

    /**
     * How long an operation waits for its job's configuration to appear on {@code provisioning.jobs} before it fails
     * with {@code JobConfigurationInvalid}. Default {@code 30s}.
     */
    @WithDefault("30s")
    Duration jobWaitTimeout();

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
    }

    interface Retry {
        /** Attempts per request, the first included; 1 disables retries. Default {@code 6}. */
        @WithDefault("6")
        int maxAttempts();

        /** Backoff before the second attempt; it doubles for each further attempt. Default {@code 200ms}. */
        @WithDefault("200ms")
        Duration baseDelay();

        /** The largest backoff between two attempts (a larger Retry-After is still honoured). Default {@code 30s}. */
        @WithDefault("30s")
        Duration maxDelay();
    }
}
