package dev.provisioning.writer.scim.client;

import static dev.provisioning.telemetry.MeterTags.PROVISIONING_JOB;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.http.HttpMethod;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.ext.web.client.HttpRequest;
import io.vertx.mutiny.ext.web.client.HttpResponse;
import io.vertx.mutiny.ext.web.client.WebClient;

import dev.provisioning.events.Json;
import dev.provisioning.writer.config.WriterConfig;
import dev.provisioning.writer.config.WriterMeters;
import dev.provisioning.writer.retry.FailureKind;
import dev.provisioning.writer.retry.RetryPolicy;
import dev.provisioning.writer.throughput.TenantGates;
import dev.provisioning.writer.throughput.TenantHealth;

/**
 * Sends SCIM requests to a tenant and retries transient failures.
 *
 * <p>
 * Why the Vert.x Mutiny {@code WebClient} rather than the Quarkus REST client: one client serves every tenant with
 * absolute URLs (no client per tenant URL to build and cache), a non-2xx answer is a plain response rather than an
 * exception, so status, {@code Retry-After} and the SCIM error body are read the same way for every outcome, and the
 * answer arrives on the caller's Vert.x context, where the operation's work goes on.
 *
 * <p>
 * Retries are Mutiny's ({@code onFailure().retry().when(...)}): an attempt whose answer is worth another one fails
 * with {@link RetryableAnswer}, and the policy ({@link RetryPolicy#nextDelay}: exponential backoff with jitter,
 * {@code Retry-After}, attempts and the operation's {@link dev.provisioning.writer.retry.RetryBudget}) says whether
 * and when it is sent again. The pause is a Vert.x timer that resumes on the caller's context, so the resubscribed
 * attempt (and what follows the answer) runs on the caller's context (the operation's own). While waiting, no
 * thread is held and the tenant's in-flight permit is given back. Never logs the token.
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
    private final TenantHealth health;
    /** The meters {@link #record} updates, built once per key rather than per request (issue 13, W4). */
    private final Map<RequestKey, RequestMeters> meters = new ConcurrentHashMap<>();

    /** The tags of one request's meters: the job, the method, the HTTP status (0: no answer). */
    private record RequestKey(String jobId, String method, int status) {
    }

    /** The counter of a {@link RequestKey} and the latency timer of its job and method. */
    private record RequestMeters(Counter requests, Timer duration) {
    }

    public ScimClient(WebClient client, Vertx vertx, RetryPolicy policy, WriterConfig config, MeterRegistry registry,
            TenantGates gates, TenantHealth health) {
        this.client = client;
        this.vertx = vertx;
        this.policy = policy;
        this.config = config;
        this.registry = registry;
        this.gates = gates;
        this.health = health;
    }

    /** An attempt whose answer is worth another attempt; the retry either sends it again or gives up with it. */
    static final class RetryableAnswer extends RuntimeException {

        final ScimAnswer answer;
        final String retryAfter;

        RetryableAnswer(ScimAnswer answer, String retryAfter) {
            super(answer.problem(), null, false, false);
            this.answer = answer;
            this.retryAfter = retryAfter;
        }
    }

    /**
     * Sends the call through the tenant's gate (in-flight cap and adaptive rate), retrying transient failures within
     * the target's retry budget; the answer is the last one received. Never fails.
     */
    public Uni<ScimAnswer> send(TenantTarget target, ScimCall call) {
        Context context = io.vertx.core.Vertx.currentContext();
        AtomicInteger attempts = new AtomicInteger();
        return Uni.createFrom().deferred(() -> attempt(target, call, attempts.incrementAndGet(), true))
                .onFailure(RetryableAnswer.class).retry().when(failures -> failures.onItem()
                        .transformToUniAndConcatenate(failure -> backoff(target, call, (RetryableAnswer) failure,
                                attempts.get(), context)))
                .onFailure(RetryableAnswer.class).recoverWithItem(failure -> ((RetryableAnswer) failure).answer);
    }

    /** Sends the call once (through the gate), without retries: for connection tests. Never fails. */
    public Uni<ScimAnswer> sendOnce(TenantTarget target, ScimCall call) {
        return attempt(target, call, 1, false);
    }

    /** The pause before the next attempt, or the failure itself when the policy gives up (no more attempts). */
    private Uni<Long> backoff(TenantTarget target, ScimCall call, RetryableAnswer failure, int attempt,
            Context context) {
        Optional<Duration> delay = policy.nextDelay(failure.answer.kind(), attempt, failure.retryAfter,
                target.budget(), Instant.now());
        if (delay.isEmpty()) {
            return Uni.createFrom().failure(failure);
        }
        registry.counter(WriterMeters.RETRIES, PROVISIONING_JOB, target.jobId(), "method", call.method()).increment();
        LOG.infof("retrying %s %s for job %s, object %s: attempt %d/%d in %d ms (%s)", call.method(), call.template(),
                target.jobId(), call.objectId(), attempt + 1, policy.maxAttempts(), delay.get().toMillis(),
                failure.answer.status() == 0 ? failure.answer.problem() : "HTTP " + failure.answer.status());
        long millis = Math.max(1, delay.get().toMillis());
        return Uni.createFrom().emitter(emitter -> vertx.getDelegate().setTimer(millis, id -> {
            if (context == null) {
                emitter.complete(id);
            } else {
                context.runOnContext(ignored -> emitter.complete(id));
            }
        }));
    }

    /**
     * One attempt through the gate.
     *
     * @param retrying whether a retryable answer fails the Uni with {@link RetryableAnswer} (for the retry) rather than
     *        being the answer
     */
    private Uni<ScimAnswer> attempt(TenantTarget target, ScimCall call, int attempt, boolean retrying) {
        TenantGates.Gate gate = gates.gate(target.jobId(), target.tenantUrl());
        return gate.acquire().chain(() -> {
            long started = System.nanoTime();
            return once(target, call).onItemOrFailure().transformToUni((response, failure) -> {
                gate.release();
                return answered(target, call, attempt, retrying, gate, started, response, failure);
            });
        });
    }

    private Uni<ScimAnswer> answered(TenantTarget target, ScimCall call, int attempt, boolean retrying,
            TenantGates.Gate gate, long started, HttpResponse<Buffer> response, Throwable failure) {
        FailureKind kind = failure == null
                ? RetryPolicy.classify(response.statusCode())
                : RetryPolicy.classify(failure);
        int status = failure == null ? response.statusCode() : 0;
        record(target, call, status, System.nanoTime() - started);
        String retryAfter = failure == null ? response.getHeader("Retry-After") : null;
        if (kind == FailureKind.THROTTLED) {
            registry.counter(WriterMeters.THROTTLED, PROVISIONING_JOB, target.jobId()).increment();
            gate.throttled(started,
                    RetryPolicy.parseRetryAfter(retryAfter, Instant.now()).map(Duration::toNanos).orElse(0L));
        } else if (status != 0 && kind != FailureKind.TRANSIENT) {
            gate.answered(started);
            health.answered(target.tenant(), Instant.now());
        }
        byte[] body = failure == null ? bodyOf(response) : null;
        String problem = kind == FailureKind.NONE
                ? null
                : failure == null ? scimDetail(status, body) : describe(failure);
        ScimAnswer answer = ScimAnswer.of(status, body, kind, attempt, problem);
        if (retrying && kind.retryable()) {
            return Uni.createFrom().failure(new RetryableAnswer(answer, retryAfter));
        }
        return Uni.createFrom().item(answer);
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

    /**
     * Counts the attempt by method and HTTP status ({@code none} when no answer came) and records its latency by
     * method only: a status tag on the histogram would multiply its series (buckets: {@link WriterMeters}).
     */
    private void record(TenantTarget target, ScimCall call, int status, long nanos) {
        RequestMeters meters = this.meters.computeIfAbsent(new RequestKey(target.jobId(), call.method(), status),
                this::register);
        meters.requests().increment();
        meters.duration().record(nanos, TimeUnit.NANOSECONDS);
    }

    private RequestMeters register(RequestKey key) {
        Counter requests = Counter.builder(WriterMeters.REQUESTS)
                .description("SCIM requests sent to Druva, by method and HTTP status")
                .tag(PROVISIONING_JOB, key.jobId())
                .tag("method", key.method())
                .tag("status", key.status() == 0 ? WriterMeters.NO_ANSWER : String.valueOf(key.status()))
                .register(registry);
        Timer duration = Timer.builder(WriterMeters.REQUEST_DURATION)
                .description("Latency of each SCIM request attempt, by method")
                .tag(PROVISIONING_JOB, key.jobId())
                .tag("method", key.method())
                .register(registry);
        return new RequestMeters(requests, duration);
    }

    static String url(String tenantUrl, String uri) {
        String base = tenantUrl.endsWith("/") ? tenantUrl.substring(0, tenantUrl.length() - 1) : tenantUrl;
        return base + uri;
    }

    /** The body's bytes as received (one copy out of the client's buffer), null when there is none. */
    private static byte[] bodyOf(HttpResponse<Buffer> response) {
        Buffer body = response.body();
        return body == null ? null : body.getBytes();
    }

    /** The SCIM error's {@code detail} (and {@code scimType}) if the body is a SCIM error, else the status. */
    private static String scimDetail(int status, byte[] body) {
        String text = "HTTP " + status;
        try {
            var node = body == null || body.length == 0 ? null : Json.mapper().readTree(body);
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
