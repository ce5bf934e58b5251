package dev.provisioning.writer.config;

import java.time.Instant;

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
import dev.provisioning.telemetry.Plural;
import dev.provisioning.writer.escrow.CredentialHolds;
import dev.provisioning.writer.escrow.EscrowSchedule;
import dev.provisioning.writer.lanes.Lanes;
import dev.provisioning.writer.messaging.EscrowScheduler;
import dev.provisioning.writer.persistence.EscrowStore;
import dev.provisioning.writer.retry.RetryPolicy;
import dev.provisioning.writer.throughput.TenantGates;
import dev.provisioning.writer.throughput.TenantHealth;

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
        return RetryPolicy.of(config.retry().maxAttempts(), config.retry().baseDelay(), config.retry().maxDelay(),
                config.retry().maxDuration());
    }

    /** Entra's escrow schedule, as data ({@code writer.escrow.*}). */
    @Produces
    @Singleton
    EscrowSchedule escrowSchedule(WriterConfig config) {
        return new EscrowSchedule(config.escrow().schedule(), config.escrow().thenEvery(),
                config.escrow().giveUpAfter());
    }

    @Produces
    @Singleton
    CredentialHolds credentialHolds() {
        return new CredentialHolds();
    }

    /** A tenant is down when nothing was answered for a whole retry budget ({@code writer.retry.max-duration}). */
    @Produces
    @Singleton
    TenantHealth tenantHealth(WriterConfig config) {
        return new TenantHealth(config.retry().maxDuration(), config.retry().probeInterval());
    }

    /** The per-tenant lanes ({@code writer.lanes.*}, {@code writer.concurrency.objects}). */
    @Produces
    @Singleton
    Lanes lanes(WriterConfig config, JobDirectory jobs) {
        if (config.lanes().recordsPerTenant() > config.lanes().maxRecords()) {
            throw new IllegalStateException("writer.lanes.records-per-tenant (" + config.lanes().recordsPerTenant()
                    + ") must not exceed writer.lanes.max-records (" + config.lanes().maxRecords() + ")");
        }
        return new Lanes(config.lanes().maxRecords(), config.lanes().recordsPerTenant(), config.concurrency().objects(),
                config.lanes().maxWait(), config.lanes().releaseReservation(), Lanes.SOON,
                tenant -> TenantGates.soleActiveTenant(jobs, tenant), Instant::now);
    }

    /**
     * One client for every tenant (requests use absolute URLs). The per-request read timeout is set by
     * {@link dev.provisioning.writer.scim.client.ScimClient}.
     */
    @Produces
    @Singleton
    WebClient webClient(Vertx vertx, WriterConfig config) {
        WebClientOptions options = new WebClientOptions()
                .setConnectTimeout((int) config.http().connectTimeout().toMillis())
                .setUserAgent("scim-writer")
                .setFollowRedirects(false)
                .setKeepAlive(true)
                // Vert.x allows 5 connections per host by default: that capped every tenant at 5 requests in flight
                // and let a slow tenant's requests queue another's for a connection
                .setMaxPoolSize(config.http().maxConnections());
        return WebClient.create(vertx, options);
    }

    void close(@Disposes WebClient client) {
        client.close();
    }

    /** When a tenant that was down answers again, what its outage escrowed is retried at once. */
    void retryEscrowsOnRecovery(@Observes StartupEvent event, TenantHealth health, EscrowStore escrows,
            EscrowScheduler waiting) {
        health.onRecovery(tenant -> escrows.retryTenantNow(tenant).subscribe().with(
                n -> {
                    LOG.infof("the Druva tenant %s answers again: %s retried now", tenant,
                            Plural.of(n, "escrowed operation is", "escrowed operations are"));
                    if (n > 0) {
                        waiting.releaseDueNow();
                    }
                },
                e -> LOG.warnf("the Druva tenant %s answers again, but its escrowed operations could not be brought "
                        + "forward (%s): they are retried on their schedule", tenant, e.toString())));
    }

    void logConfiguration(@Observes StartupEvent event, WriterConfig config, SecretCipher cipher) {
        LOG.infof("scim-writer configuration: writer.http.connect-timeout=%s, writer.http.read-timeout=%s, "
                + "writer.retry.max-attempts=%d, writer.retry.base-delay=%s, writer.retry.max-delay=%s, "
                + "writer.retry.max-duration=%s, writer.escrow.schedule=%s then every %s, writer.lanes.max-records=%d, "
                + "writer.lanes.records-per-tenant=%d, writer.lanes.max-wait=%s, writer.concurrency.objects=%d, "
                + "writer.job-wait-timeout=%s, provisioning.secret-key=****** (key id %s)",
                config.http().connectTimeout(), config.http().readTimeout(), config.retry().maxAttempts(),
                config.retry().baseDelay(), config.retry().maxDelay(), config.retry().maxDuration(),
                config.escrow().schedule(), config.escrow().thenEvery(), config.lanes().maxRecords(),
                config.lanes().recordsPerTenant(), config.lanes().maxWait(), config.concurrency().objects(),
                config.jobWaitTimeout(), cipher.keyId());
    }
}
