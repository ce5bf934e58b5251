package dev.provisioning.writer.target;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpMethod;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.ext.web.client.HttpRequest;
import io.vertx.mutiny.ext.web.client.HttpResponse;
import io.vertx.mutiny.ext.web.client.WebClient;

import dev.provisioning.events.Json;
import dev.provisioning.writer.config.WriterConfig;
import dev.provisioning.writer.retry.FailureKind;
import dev.provisioning.writer.retry.RetryPolicy;
import dev.provisioning.writer.throughput.TenantGates;

/**
 * Sends SCIM requests to a tenant and retries transient failures.
 *
 * <p>
 * Why the Vert.x Mutiny {@code WebClient} rather than the Quarkus REST client: one client serves every tenant with
 * absolute URLs (no client per tenant URL to build and cache), a non-2xx answer is a plain response rather than an
 * exception, so status, {@code Retry-After} and the SCIM error body are read the same way for every outcome, and the
 * answer arrives on the caller's Vert.x context, where the Hibernate Reactive calls that follow must run.
 *
 * <p>
 * Retry delays use Vert.x timers (not Mutiny's executor) for the same reason. Never logs the token.
 */
@ApplicationScoped
public class ScimClient {

    private static final Logger LOG = Logger.getLogger(ScimClient.class);

    private final WebClient client;
    private final Vertx vertx;
    private final RetryPolicy policy;
    private final WriterConfig config;
    private final MeterRegistry registry;
    private final TenantGates gates;

    public ScimClient(WebClient client, Vertx vertx, RetryPolicy policy, WriterConfig config, MeterRegistry registry,
            TenantGates gates) {
        this.client = client;
        this.vertx = vertx;
        this.policy = policy;
        this.config = config;
        this.registry = registry;
        this.gates = gates;
    }

    /**
     * Sends the call through the tenant's gate (in-flight cap and adaptive rate), retrying transient failures; the
     * answer is the last one received. Never fails.
     */
    public Uni<ScimAnswer> send(TenantTarget target, ScimCall call) {
        return attempt(target, call, 1, policy.maxAttempts());
    }

    /** Sends the call once (through the gate), without retries: for connection tests. Never fails. */
    public Uni<ScimAnswer> sendOnce(TenantTarget target, ScimCall call) {
        return attempt(target, call, 1, 1);
    }

    private Uni<ScimAnswer> attempt(TenantTarget target, ScimCall call, int attempt, int maxAttempts) {
        TenantGates.Gate gate = gates.gate(target.jobId(), target.tenantUrl());
        return gate.acquire().chain(() -> {
            long started = System.nanoTime();
            return once(target, call).onItemOrFailure().transformToUni((response, failure) -> {
                gate.release();
                return answered(target, call, attempt, maxAttempts, gate, started, response, failure);
            });
        });
    }

    private Uni<ScimAnswer> answered(TenantTarget target, ScimCall call, int attempt, int maxAttempts,
            TenantGates.Gate gate, long started, HttpResponse<Buffer> response, Throwable failure) {
        {
            FailureKind kind = failure == null
                    ? RetryPolicy.classify(response.statusCode())
                    : RetryPolicy.classify(failure);
            int status = failure == null ? response.statusCode() : 0;
            record(target, call, status, kind, System.nanoTime() - started);
            String retryAfter = failure == null ? response.getHeader("Retry-After") : null;
            if (kind == FailureKind.THROTTLED) {
                registry.counter("scim.writer.throttled", "job", target.jobId()).increment();
                gate.throttled(RetryPolicy.parseRetryAfter(retryAfter, Instant.now()).map(Duration::toNanos)
                        .orElse(0L));
            }
            if (kind.retryable() && attempt < maxAttempts) {
                Duration delay = policy.delay(attempt, retryAfter, Instant.now());
                registry.counter("scim.writer.retries", "job", target.jobId(), "method", call.method()).increment();
                LOG.infof("retrying %s %s for job %s, object %s: attempt %d/%d in %d ms (%s)", call.method(),
                        call.template(), target.jobId(), call.objectId(), attempt + 1, maxAttempts,
                        delay.toMillis(), failure == null ? "HTTP " + status : describe(failure));
                return sleep(delay).chain(() -> attempt(target, call, attempt + 1, maxAttempts));
            }
            String body = failure == null ? bodyOf(response) : "";
            String problem = kind == FailureKind.NONE
                    ? null
                    : failure == null ? scimDetail(status, body) : describe(failure);
            return Uni.createFrom().item(new ScimAnswer(status, body, kind, attempt, problem));
        }
    }

    private Uni<HttpResponse<Buffer>> once(TenantTarget target, ScimCall call) {
        HttpRequest<Buffer> request;
        try {
            request = client.requestAbs(HttpMethod.valueOf(call.method()), url(target.tenantUrl(), call.uri()))
                    .putHeader("Authorization", "Bearer " + target.token())
                    .putHeader("Accept", "application/scim+json, application/json")
                    .timeout(config.http().readTimeout().toMillis());
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(e);
        }
        if (call.body() == null) {
            return request.send();
        }
        return request.putHeader("Content-Type", "application/scim+json").sendBuffer(Buffer.buffer(call.body()));
    }

    private Uni<Void> sleep(Duration delay) {
        long millis = Math.max(1, delay.toMillis());
        return Uni.createFrom().emitter(emitter -> vertx.setTimer(millis, id -> emitter.complete(null)));
    }

    private void record(TenantTarget target, ScimCall call, int status, FailureKind kind, long nanos) {
        Timer.builder("scim.writer.requests")
                .description("SCIM requests sent to Druva, by method, status and outcome")
                .tag("job", target.jobId())
                .tag("method", call.method())
                .tag("status", String.valueOf(status))
                .tag("outcome", kind.name().toLowerCase(java.util.Locale.ROOT))
                .publishPercentileHistogram()
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    static String url(String tenantUrl, String uri) {
        String base = tenantUrl.endsWith("/") ? tenantUrl.substring(0, tenantUrl.length() - 1) : tenantUrl;
        return base + uri;
    }

    private static String bodyOf(HttpResponse<Buffer> response) {
        Buffer body = response.body();
        return body == null ? "" : body.toString();
    }

    /** The SCIM error's {@code detail} (and {@code scimType}) if the body is a SCIM error, else the status. */
    private static String scimDetail(int status, String body) {
        String text = "HTTP " + status;
        try {
            var node = Json.mapper().readTree(body);
            if (node != null && node.hasNonNull("detail")) {
                text += ": " + node.get("detail").asText();
            }
            if (node != null && node.hasNonNull("scimType")) {
                text += " (scimType " + node.get("scimType").asText() + ")";
            }
        } catch (Exception e) {
            // not JSON: the status says enough
        }
        return text.length() > 500 ? text.substring(0, 500) : text;
    }

    private static String describe(Throwable failure) {
        String message = failure.getMessage();
        return failure.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
