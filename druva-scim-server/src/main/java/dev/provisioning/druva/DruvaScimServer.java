package dev.provisioning.druva;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

import com.sun.net.httpserver.HttpServer;

/**
 * An in-memory, Druva-compatible SCIM 2.0 server for local runs, tests and benchmarks.
 *
 * <p>
 * SCIM lives under {@code /insync/scim} (see {@link #baseUrl()}) and needs {@code Authorization: Bearer <token>}.
 * Unauthenticated inspection lives under {@code /_admin}: {@code GET users}, {@code GET groups},
 * {@code GET requests}, {@code GET|PUT settings}, {@code POST reset}. Latency, a rate limit, server errors,
 * timeouts and token expiry can be injected at start ({@link Options}) or at runtime ({@link #settings}); a test can
 * also hold every authenticated SCIM call until it releases them ({@link #hold()}, {@link #release()}).
 *
 * <pre>{@code
 * try (DruvaScimServer server = DruvaScimServer.start(DruvaScimServer.Options.defaults().port(0).token("secret"))) {
 *     String tenantUrl = server.baseUrl();
 *     ...
 *     assertThat(server.users()).extracting(DruvaUser::status).containsOnly("Active");
 * }
 * }</pre>
 */
public final class DruvaScimServer implements AutoCloseable {

    /** The SCIM base path, as in Druva's tenant URL {@code https://apis.druva.com/insync/scim}. */
    public static final String BASE_PATH = "/insync/scim";
    /** The unauthenticated inspection path. */
    public static final String ADMIN_PATH = "/_admin";

    private final HttpServer http;
    private final ExecutorService executor;
    private final String baseUrl;
    private final Directory directory;
    private final RequestLog log = new RequestLog();
    private final AtomicReference<Options> settings;
    private volatile TokenBucket bucket;
    private final java.util.concurrent.ConcurrentLinkedQueue<InjectedFault> nextFaults = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final long startedNanos = System.nanoTime();
    /** Open while {@link #hold()} is on; null when calls pass. */
    private volatile CountDownLatch held;
    private final AtomicInteger parked = new AtomicInteger();
    private final Object holdLock = new Object();

    /** A one-shot fault: the next SCIM request (after the token check) is answered with this status. */
    record InjectedFault(int status, long retryAfterSeconds) {
    }

    private DruvaScimServer(Options options) throws IOException {
        this.bucket = new TokenBucket(options.rateLimitPerSecond());
        this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 512);
        this.settings = new AtomicReference<>(options.port(http.getAddress().getPort()));
        String host = options.host().equals("0.0.0.0") || options.host().equals("::")
                ? "127.0.0.1"
                : options.host();
        this.baseUrl = "http://" + host + ":" + http.getAddress().getPort() + BASE_PATH;
        this.directory = new Directory(baseUrl);
        this.executor = Executors.newCachedThreadPool(daemonThreads());
        http.setExecutor(executor);
        http.createContext(BASE_PATH, new ScimHandler(this, directory, log));
        http.createContext(ADMIN_PATH, new AdminHandler(this));
        http.start();
    }

    /**
     * Starts a server; returns once it accepts connections.
     *
     * @throws UncheckedIOException when the port cannot be bound
     */
    public static DruvaScimServer start(Options options) {
        Objects.requireNonNull(options, "options");
        try {
            return new DruvaScimServer(options);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the Druva SCIM server on " + options.host() + ":"
                    + options.port(), e);
        }
    }

    /** The bound port (the free port chosen when {@link Options#port()} was 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** The tenant URL, {@code http://127.0.0.1:<port>/insync/scim}. */
    public String baseUrl() {
        return baseUrl;
    }

    /** A snapshot of the users, in creation order. */
    public List<DruvaUser> users() {
        return directory.users();
    }

    /** A snapshot of the groups, in creation order. */
    public List<DruvaGroup> groups() {
        return directory.groups();
    }

    /** A snapshot of the SCIM request log (also rejected requests), in arrival order. */
    public List<RecordedRequest> requests() {
        return log.snapshot();
    }

    /** Clears users, groups and the request log; the settings stay. */
    public void reset() {
        nextFaults.clear();
        directory.clear();
        log.clear();
        bucket = new TokenBucket(settings.get().rateLimitPerSecond());
    }

    /** The current settings; {@link Options#port()} is the bound port. */
    public Options settings() {
        return settings.get();
    }

    /**
     * Changes latency, rate limit, faults, token or token expiry at runtime, e.g.
     * {@code server.settings(s -> s.rateLimitPerSecond(5))}. Host and port cannot change and are ignored.
     *
     * @return the new settings
     */
    public Options settings(UnaryOperator<Options> change) {
        Options updated = settings.updateAndGet(current -> {
            Options next = change.apply(current);
            return next.host(current.host()).port(current.port());
        });
        if (bucket.ratePerSecond() != updated.rateLimitPerSecond()) {
            bucket = new TokenBucket(updated.rateLimitPerSecond());
        }
        return updated;
    }

    /** Replaces the settings (host and port excepted); see {@link #settings(UnaryOperator)}. */
    public Options settings(Options replacement) {
        Objects.requireNonNull(replacement, "replacement");
        return settings(current -> replacement);
    }

    TokenBucket bucket() {
        return bucket;
    }

    /**
     * Answers the next authenticated SCIM request with {@code status} and no change (one-shot; calls queue up in
     * order), e.g. {@code failNext(503, -1)} then {@code failNext(429, 1)}.
     *
     * @param retryAfterSeconds the {@code Retry-After} header in seconds, or a negative number for none
     */
    public void failNext(int status, long retryAfterSeconds) {
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("failNext needs a 4xx or 5xx status, got " + status);
        }
        nextFaults.add(new InjectedFault(status, retryAfterSeconds));
    }

    /** The next queued one-shot fault, if any (taken). */
    InjectedFault takeFault() {
        return nextFaults.poll();
    }

    /**
     * Holds authenticated SCIM calls until {@link #release()}, as a tenant that stopped answering would (a test uses it
     * to show that what waits for this tenant waits alone). A call that passes the token check and the injected answers
     * (a queued {@link #failNext} fault, a burst of 429 of {@link Options#throttleBursts}: those still answer at once)
     * parks in the handler before the rate limit, the latency and any change; when released it goes on through the rest
     * of the pipeline as if it had just arrived, and is carried out even if its client gave up meanwhile (as a real
     * server that received it would). A 401, the injected answers and the {@code /_admin} paths are answered as usual;
     * the request log shows a parked call with status 0.
     *
     * <p>
     * Threads: the server runs each exchange on its own thread of a cached (unbounded) pool, so a parked call holds one
     * thread and nothing else (no lock, no other connection); other calls and other servers are not slowed. Calling it
     * while held does nothing; {@link #reset()} and {@link #settings} leave it on; {@link #close()} interrupts parked
     * calls, which then answer 503.
     */
    public void hold() {
        synchronized (holdLock) {
            if (held == null) {
                held = new CountDownLatch(1);
            }
        }
    }

    /** Lets every parked call go on and stops holding new ones; does nothing when not held. */
    public void release() {
        CountDownLatch open;
        synchronized (holdLock) {
            open = held;
            held = null;
        }
        if (open != null) {
            open.countDown();
        }
    }

    /** How many calls are parked by {@link #hold()} now (0 when not held). */
    public int parked() {
        return parked.get();
    }

    /**
     * Parks the calling handler thread while held ({@link #hold()}).
     *
     * @throws InterruptedException when the server closes meanwhile
     */
    void awaitRelease() throws InterruptedException {
        CountDownLatch open = held;
        if (open == null) {
            return;
        }
        parked.incrementAndGet();
        try {
            open.await();
        } finally {
            parked.decrementAndGet();
        }
    }

    /** Whether a burst of 429 is running now ({@link Options#throttleBursts}). */
    boolean inThrottleBurst() {
        Options s = settings.get();
        if (s.throttleBurstEvery().isZero() || s.throttleBurstLength().isZero()) {
            return false;
        }
        long every = s.throttleBurstEvery().toNanos();
        return (System.nanoTime() - startedNanos) % every < s.throttleBurstLength().toNanos();
    }

    /** Stops the server at once; requests still hanging (latency, timeouts) are interrupted. */
    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "druva-scim-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * Server options, immutable; each setter-style method returns a changed copy.
     *
     * @param host the address to bind; default {@code 127.0.0.1}
     * @param port the port; 0 (default) picks a free one
     * @param token the bearer token every SCIM call needs; default {@code druva-local-token}
     * @param latencyMin the minimum latency added to each SCIM request that passes the rate limiter; default 0
     * @param latencyMax the maximum latency (uniformly random between min and max); default 0
     * @param rateLimitPerSecond the token bucket rate and capacity; 0 (default) is unlimited; exceeded gives 429
     * @param serverErrorRatio the fraction (0..1) of SCIM requests answered 500 or 503 without any change; default 0
     * @param timeoutRatio the fraction (0..1) of SCIM requests that hang for {@code timeoutDelay}, then answer 504
     *        without any change; default 0
     * @param timeoutDelay how long a "timed out" request hangs; default 30 s
     * @param tokenExpiresAt after this instant every SCIM call is 401; null (default) never expires
     */
    public record Options(String host, int port, String token, Duration latencyMin, Duration latencyMax,
            double rateLimitPerSecond, double serverErrorRatio, double timeoutRatio, Duration timeoutDelay,
            Instant tokenExpiresAt, Duration throttleBurstEvery, Duration throttleBurstLength) {

        public Options {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(latencyMin, "latencyMin");
            Objects.requireNonNull(latencyMax, "latencyMax");
            Objects.requireNonNull(timeoutDelay, "timeoutDelay");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, got " + port);
            }
            if (token == null || token.isBlank()) {
                throw new IllegalArgumentException("token must not be blank");
            }
            if (latencyMin.isNegative() || latencyMax.compareTo(latencyMin) < 0) {
                throw new IllegalArgumentException("latency must satisfy 0 <= latencyMin <= latencyMax, got "
                        + latencyMin + ".." + latencyMax);
            }
            if (rateLimitPerSecond < 0) {
                throw new IllegalArgumentException("rateLimitPerSecond must be >= 0, got " + rateLimitPerSecond);
            }
            if (serverErrorRatio < 0 || serverErrorRatio > 1) {
                throw new IllegalArgumentException("serverErrorRatio must be in 0..1, got " + serverErrorRatio);
            }
            if (timeoutRatio < 0 || timeoutRatio > 1) {
                throw new IllegalArgumentException("timeoutRatio must be in 0..1, got " + timeoutRatio);
            }
            throttleBurstEvery = throttleBurstEvery == null ? Duration.ZERO : throttleBurstEvery;
            throttleBurstLength = throttleBurstLength == null ? Duration.ZERO : throttleBurstLength;
            if (throttleBurstEvery.isNegative() || throttleBurstLength.isNegative()
                    || (!throttleBurstEvery.isZero() && throttleBurstLength.compareTo(throttleBurstEvery) >= 0)) {
                throw new IllegalArgumentException("throttle bursts must satisfy 0 <= length < every, got length "
                        + throttleBurstLength + " every " + throttleBurstEvery);
            }
            if (timeoutDelay.isNegative()) {
                throw new IllegalArgumentException("timeoutDelay must be >= 0, got " + timeoutDelay);
            }
        }

        /** Localhost, a free port, token {@code druva-local-token}, no latency, no limits, no faults. */
        public static Options defaults() {
            return new Options("127.0.0.1", 0, "druva-local-token", Duration.ZERO, Duration.ZERO, 0, 0, 0,
                    Duration.ofSeconds(30), null, Duration.ZERO, Duration.ZERO);
        }

        public Options host(String host) {
            return new Options(host, port, token, latencyMin, latencyMax, rateLimitPerSecond, serverErrorRatio,
                    timeoutRatio, timeoutDelay, tokenExpiresAt, throttleBurstEvery, throttleBurstLength);
        }

        public Options port(int port) {
            return new Options(host, port, token, latencyMin, latencyMax, rateLimitPerSecond, serverErrorRatio,
                    timeoutRatio, timeoutDelay, tokenExpiresAt, throttleBurstEvery, throttleBurstLength);
        }

        public Options token(String token) {
            return new Options(host, port, token, latencyMin, latencyMax, rateLimitPerSecond, serverErrorRatio,
                    timeoutRatio, timeoutDelay, tokenExpiresAt, throttleBurstEvery, throttleBurstLength);
        }

        /** A fixed latency. */
        public Options latency(Duration latency) {
            return latency(latency, latency);
        }

        /** A uniformly random latency between {@code min} and {@code max}. */
        public Options latency(Duration min, Duration max) {
            return new Options(host, port, token, min, max, rateLimitPerSecond, serverErrorRatio, timeoutRatio,
                    timeoutDelay, tokenExpiresAt, throttleBurstEvery, throttleBurstLength);
        }

        public Options rateLimitPerSecond(double rateLimitPerSecond) {
            return new Options(host, port, token, latencyMin, latencyMax, rateLimitPerSecond, serverErrorRatio,
                    timeoutRatio, timeoutDelay, tokenExpiresAt, throttleBurstEvery, throttleBurstLength);
        }

        public Options serverErrorRatio(double serverErrorRatio) {
            return new Options(host, port, token, latencyMin, latencyMax, rateLimitPerSecond, serverErrorRatio,
                    timeoutRatio, timeoutDelay, tokenExpiresAt, throttleBurstEvery, throttleBurstLength);
        }

        public Options timeoutRatio(double timeoutRatio) {
            return new Options(host, port, token, latencyMin, latencyMax, rateLimitPerSecond, serverErrorRatio,
                    timeoutRatio, timeoutDelay, tokenExpiresAt, throttleBurstEvery, throttleBurstLength);
        }

        public Options timeoutDelay(Duration timeoutDelay) {
            return new Options(host, port, token, latencyMin, latencyMax, rateLimitPerSecond, serverErrorRatio,
                    timeoutRatio, timeoutDelay, tokenExpiresAt, throttleBurstEvery, throttleBurstLength);
        }

        public Options tokenExpiresAt(Instant tokenExpiresAt) {
            return new Options(host, port, token, latencyMin, latencyMax, rateLimitPerSecond, serverErrorRatio,
                    timeoutRatio, timeoutDelay, tokenExpiresAt, throttleBurstEvery, throttleBurstLength);
        }

        /**
         * Bursts of 429: every {@code every}, for {@code length}, every SCIM request is answered 429 with
         * {@code Retry-After: 1} (after the token check, before the rate limit). Zero turns them off.
         */
        public Options throttleBursts(Duration every, Duration length) {
            return new Options(host, port, token, latencyMin, latencyMax, rateLimitPerSecond, serverErrorRatio,
                    timeoutRatio, timeoutDelay, tokenExpiresAt, every, length);
        }

        @Override
        public String toString() {
            return "Options[host=" + host + ", port=" + port + ", token=****, latency=" + latencyMin + ".."
                    + latencyMax + ", rateLimitPerSecond=" + rateLimitPerSecond + ", serverErrorRatio="
                    + serverErrorRatio + ", timeoutRatio=" + timeoutRatio + ", timeoutDelay=" + timeoutDelay
                    + ", tokenExpiresAt=" + tokenExpiresAt + ", throttleBursts=" + throttleBurstLength + "/"
                    + throttleBurstEvery + "]";
        }
    }
}
