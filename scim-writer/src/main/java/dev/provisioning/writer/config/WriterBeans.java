package dev.provisioning.writer.config;

import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.ext.web.client.WebClient;

import dev.provisioning.events.job.JobDirectory;
import dev.provisioning.events.job.SecretCipher;
import dev.provisioning.writer.retry.RetryPolicy;

/** The plain-Java collaborators of the service, built once from configuration; start-up fails fast on bad values. */
@Singleton
public class WriterBeans {

    private static final Logger LOG = Logger.getLogger(WriterBeans.class);

    @Produces
    @Singleton
    JobDirectory jobDirectory() {
        return new JobDirectory();
    }

    /** The key that decrypts the job tokens ({@code provisioning.secret-key}, base64 of 32 bytes). */
    @Produces
    @Singleton
    SecretCipher secretCipher(@ConfigProperty(name = "provisioning.secret-key") String key) {
        try {
            return SecretCipher.fromBase64(key);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("provisioning.secret-key: " + e.getMessage());
        }
    }

    @Produces
    @Singleton
    RetryPolicy retryPolicy(WriterConfig config) {
        return RetryPolicy.of(config.retry().maxAttempts(), config.retry().baseDelay(), config.retry().maxDelay());
    }

    /**
     * One client for every tenant (requests use absolute URLs). The per-request read timeout is set by
     * {@link dev.provisioning.writer.target.ScimClient}.
     */
    @Produces
    @Singleton
    WebClient webClient(Vertx vertx, WriterConfig config) {
        WebClientOptions options = new WebClientOptions()
                .setConnectTimeout((int) config.http().connectTimeout().toMillis())
                .setUserAgent("scim-writer")
                .setFollowRedirects(false)
                .setKeepAlive(true);
        return WebClient.create(vertx, options);
    }

    void close(@Disposes WebClient client) {
        client.close();
    }

    void logConfiguration(@Observes StartupEvent event, WriterConfig config, SecretCipher cipher) {
        LOG.infof("scim-writer configuration: writer.http.connect-timeout=%s, writer.http.read-timeout=%s, "
                + "writer.retry.max-attempts=%d, writer.retry.base-delay=%s, writer.retry.max-delay=%s, "
                + "writer.job-wait-timeout=%s, provisioning.secret-key=****** (key id %s)",
                config.http().connectTimeout(), config.http().readTimeout(), config.retry().maxAttempts(),
                config.retry().baseDelay(), config.retry().maxDelay(), config.jobWaitTimeout(), cipher.keyId());
    }
}
