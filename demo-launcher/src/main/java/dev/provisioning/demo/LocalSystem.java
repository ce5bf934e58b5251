package dev.provisioning.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.localstack.LocalIssuer;
import dev.provisioning.localstack.LocalStack;
import dev.provisioning.localstack.Ports;

/**
 * The whole system on the embedded default: the real infrastructure (Kafka, PostgreSQL, SMTP) and the Druva-compatible
 * server in this JVM, and the four services as separate processes pointed at them and at each other (the
 * change-detector knows the scim-writer's URL), on loopback only. Each service connects to Kafka as its own user
 * (SASL/SCRAM) holding only its ACLs ({@link dev.provisioning.localstack.KafkaAcls}); replicas of a service share its
 * user. The services trust the stack's token issuer ({@link dev.provisioning.localstack.LocalIssuer}, a key pair made
 * for this run): the change-detector calls the writer with a service token minted here, and {@link #adminToken()} is
 * an administrator's. Used by the run command, the end-to-end tests and the benchmark (which also runs several
 * replicas of a service, other JVM flags and restarts, see {@link Options}).
 */
public final class LocalSystem implements AutoCloseable {

    /**
     * Settings for one machine, where a service that dies is restarted in seconds: a dead consumer's partitions move to
     * its successor after 10 s (Kafka's default is 45 s), and a dead writer replica stops holding a share of the tenant
     * rate limit after 6 s (default 20 s). Vert.x warns of an event loop held over 5 s instead of 2 s
     * ({@code quarkus.vertx.max-event-loop-execute-time}): here nine processes share the machine's cores, and a service
     * starting beside the others loads the classes of its first database query and Kafka poll on an event loop while
     * the other JVMs take the CPU; on two cores that held one for 2.4 and 3.2 s (CI, 2026-12-04: the notifier's first
     * job state query as it restarted), which is the machine, not a blocked call. Deployments keep the defaults (a pod
     * has its own CPU, and there a held event loop is worth a warning at 2 s).
     */
    static final Map<String, String> LOCAL_TUNING = Map.of("KAFKA_SESSION_TIMEOUT_MS", "10000",
            "KAFKA_HEARTBEAT_INTERVAL_MS", "1000", "WRITER_REPLICAS_HEARTBEAT_INTERVAL", "2s",
            "WRITER_REPLICAS_LIVENESS", "6s", "QUARKUS_VERTX_MAX_EVENT_LOOP_EXECUTE_TIME", "5s");

    /**
     * The JVM flags of the run command and the end-to-end tests: four services and the infrastructure start together
     * on a two-core machine, and the C1 compiler alone ({@code TieredStopAtLevel=1}) makes them ready in about half
     * the CPU time of full tiered compilation. The price is slower steady state (no C2), which a demo of a few
     * hundred users and the tests never notice. Not for measuring throughput: the benchmark uses
     * {@link #DEPLOYMENT_JVM_OPTIONS}.
     */
    public static final List<String> LAUNCHER_JVM_OPTIONS = List.of("-Xmx384m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1");

    /**
     * Each service's memory limit in {@code deploy/k8s/base} (MiB; the pods' {@code resources.limits.memory}), in
     * {@link #SERVICES}' order: the detector keeps a directory's snapshot and element memo between cycles (about 95 MiB
     * live for a 100,000-user job), the writer bounded lanes and one tenant's bulk-match snapshot, the mapper and the
     * notifier under 30 MiB live. {@code bench}'s tests check that the manifests say the same.
     */
    public static final Map<String, Integer> DEPLOYMENT_MEMORY_LIMITS_MIB = Map.of("change-detector", 768,
            "mapper-service", 512, "scim-writer", 512, "notifier", 512);

    /**
     * The heap-sizing flags a service's deployment adds to {@link #DEPLOYMENT_JVM_OPTIONS} ({@code JDK_JAVA_OPTIONS}
     * in its config map in {@code deploy/k8s/base/kustomization.yaml}; {@code bench}'s tests check that the manifests
     * say the same). The scim-writer allocates about 160 KiB per operation and keeps up to
     * {@code writer.lanes.max-records} records alive while they wait in their lane, so with the serial collector's
     * defaults its old generation filled with records promoted early and grew, and the young generation (a third of the
     * heap) grew with it: 95 MiB of heap for a 35 MiB live set at 30,000 users, about 155 MiB at 100,000 (issue 13).
     * A young generation fixed at 32 MiB ({@code -Xmn32m}) and an old generation kept within 20 to 40 % free after a
     * full collection (the defaults are 40 and 70 %) hold it at 80 to 100 MiB, for more full collections (10 and 30 %
     * held it a little lower at 1.4 times the full collections). glibc kept tens of MiB of freed native memory (one
     * {@code System.trim_native_heap} at 73,000 users gave back 57 MiB), so the JVM trims it every 2 s
     * ({@code -XX:TrimNativeHeapInterval=2000}). 100,000-user run: peak RSS 461 to 329 MiB in the initial sync, 504 to
     * 364 MiB in the incremental scenario. The change-detector's old generation grew with the garbage its incremental
     * cycles promote (259 MiB committed for a 125 MiB live set at 100,000 users); kept within 10 to 30 % free it stayed
     * at 173 MiB (incremental peak RSS 646 to 520 MiB in one 100,000-user run: {@code
     * bench/results/2026-12-02-100k-detector-memory.md}), and it trims freed native memory like the writer. Its young
     * generation was a third of the heap, 67 to 77 MiB at the 100,000-user sync's peak (the follow-up cycle that
     * re-reads the directory for group memberships, with a live set of 139 to 152 MiB), so it is fixed at 32 MiB like
     * the writer's, and it caches no temporary direct buffer above 256 KiB either: peak RSS 422.8 to 407.7 MiB in one
     * pair of 100,000-user runs, for 14 % more GC pause time
     * ({@code bench/results/2026-12-03-100k-detector-memory-flags.md}, issue 13). The
     * mapper-service, whose live set is about 20 MiB, peaked at 304 MiB (322 in the incremental scenario) with the
     * defaults in the seventh round's 100,000-user run (265/277 in the sixth): it takes the writer's flags.
     */
    public static final Map<String, List<String>> DEPLOYMENT_HEAP_OPTIONS = Map.of("scim-writer", flowThroughHeap(),
            "mapper-service", flowThroughHeap(), "change-detector",
            List.of("-Xmn32m", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30", "-XX:TrimNativeHeapInterval=2000",
                    "-Djdk.nio.maxCachedBufferSize=262144"));

    /**
     * The compiler flag a service's deployment adds to {@link #DEPLOYMENT_JVM_OPTIONS} ({@code JDK_JAVA_OPTIONS} in its
     * config map, after its {@link #DEPLOYMENT_HEAP_OPTIONS}; {@code bench}'s tests check the manifests): the services
     * whose records flow through (the mapper-service, the scim-writer, the notifier) compile with C1 alone
     * ({@code -XX:TieredStopAtLevel=1}); the change-detector compiles with C2 alone (below). Their Java
     * code is mostly framework plumbing (Kafka, Vert.x, JSON, the PostgreSQL client), which C2 speeds up about as much
     * as its own compilations cost, and C2 takes native memory (its arenas, a larger code cache). In one
     * pair of 100,000-user runs (issue 13, ninth round: {@code bench/results/2026-12-03-100k-ninth-round-jit.md}) C1
     * alone, against full tiered, took CPU per object from .302 to .232 ms in the mapper, .283 to .268 in the notifier
     * and .975 to 1.06 in the writer (1.56 for the three both ways), and peak RSS (initial sync/incremental) from
     * 229/237 to 195/195 MiB in the mapper, 271/269 to 230/230 in the notifier and 330/333 to 290/297 in the writer. The detector's incremental cycles re-read and
     * re-hash a 100,000-user directory file: with C1 alone they took 56 instead of 45 CPU s per 1,000 changes and the
     * change-to-Druva p99 went from 1.5 to 3.4 s, so it keeps C2, and compiles with C2 alone
     * ({@code -XX:-TieredCompilation}: no C1 code with profiling counters beside the C2 code, a smaller code cache and
     * no C1 arenas). In 100,000-user runs on 2026-12-04 (issue 13, fifteenth round:
     * {@code bench/results/2026-12-04-100k-detector-*.md} and {@code -scenarios-detector-c2-only.md}) its peak RSS was
     * 353 to 359 MiB in three initial syncs against 372 and 379 with C1 then C2, and 361 against 400 MiB in the
     * same-hour incremental pair; its CPU per object 0.46 to 0.56 against 0.50 to 0.54 ms, per incremental change 43.5
     * against 44.5 ms, and the change-to-Druva p99 2.28 against 2.21 s (the machine then slower: 1.70 s with C1 then
     * C2 that morning).
     */
    public static final Map<String, List<String>> DEPLOYMENT_COMPILER_OPTIONS = Map.of("mapper-service",
            List.of("-XX:TieredStopAtLevel=1"), "scim-writer", List.of("-XX:TieredStopAtLevel=1"), "notifier",
            List.of("-XX:TieredStopAtLevel=1"), "change-detector", List.of("-XX:-TieredCompilation"));

    /**
     * The JVM flags a deployment runs with, for a 768 MiB pod: {@code deploy/} gives each service a memory limit
     * ({@link #DEPLOYMENT_MEMORY_LIMITS_MIB}) and {@code -XX:MaxRAMPercentage=75}, so the JVM sizes its heap from the
     * limit (at most 75 % of it, starting at 1/64 of it and growing only as the live set needs) and, in a container that
     * small, takes the serial collector; full tiered compilation (C1 then C2) unless the service's
     * {@link #DEPLOYMENT_COMPILER_OPTIONS} say otherwise. {@code -XX:MaxRAM} reproduces those
     * ergonomics on a large host: a bare {@code -Xmx576m} would start the heap at 1/64 of the host's memory (about 370
     * MiB on 23 GiB), which a busy service touches entirely, and the peak RSS would measure the host, not the service.
     * {@link #deploymentJvmOptions(String)} gives one service's.
     */
    public static final List<String> DEPLOYMENT_JVM_OPTIONS = deploymentJvmOptions(768);

    /**
     * glibc's malloc settings in every service's environment, as {@code deploy/Dockerfile}'s {@code ENV}
     * (deploy/README.md, Containers): one malloc arena for all threads (glibc would keep up to 8 per core for the JIT,
     * Netty and Kafka threads, each holding its own freed memory), and blocks of 128 KiB or more always mapped on their
     * own, so freeing one returns it to the system (glibc would otherwise raise that threshold up to 32 MiB after the
     * first large free, and keep such blocks in the arena). In 30,000-user runs the scim-writer's peak RSS fell by 10 to 30 MiB (its glibc
     * arenas 73 to 60-65 MiB), the other services' moved within the noise, CPU per object did not change (issue 13).
     * {@link ServiceProcess} starts every service with these whatever the launcher's own environment holds (a stray
     * {@code MALLOC_*} there is dropped with a warning); a service's environment in {@link Options} may set others.
     */
    public static final Map<String, String> DEPLOYMENT_MALLOC_ENVIRONMENT = Map.of("MALLOC_ARENA_MAX", "1",
            "MALLOC_MMAP_THRESHOLD_", "131072");

    /**
     * The heap flags of a service whose records flow through with a small live set (the writer, the mapper): a 32 MiB
     * young generation, the old one kept 20 to 40 % free after a full collection, native memory trimmed every 2 s, and
     * the JDK's per-thread cache of temporary direct buffers (socket reads into heap buffers, as Kafka's client does)
     * keeping none above 256 KiB: NMT's "Other" (direct memory) 8 to 10 MiB, 1 to 2 MiB with it, in 30,000-user runs
     * (issue 13).
     */
    private static List<String> flowThroughHeap() {
        return List.of("-Xmn32m", "-XX:MinHeapFreeRatio=20", "-XX:MaxHeapFreeRatio=40",
                "-XX:TrimNativeHeapInterval=2000", "-Djdk.nio.maxCachedBufferSize=262144");
    }

    /**
     * One service's deployment flags: {@link #DEPLOYMENT_JVM_OPTIONS} with its own pod's memory limit, then its
     * {@link #podJvmOptions(String) pod's own}.
     *
     * @throws IllegalArgumentException for a name that is not one of the four services
     */
    public static List<String> deploymentJvmOptions(String service) {
        Integer limit = DEPLOYMENT_MEMORY_LIMITS_MIB.get(service);
        if (limit == null) {
            throw new IllegalArgumentException("no service named " + service + "; the services are "
                    + SERVICES.keySet());
        }
        List<String> flags = new ArrayList<>(deploymentJvmOptions(limit));
        flags.addAll(podJvmOptions(service));
        return List.copyOf(flags);
    }

    /**
     * The flags a service's pod adds to the image's ({@code JDK_JAVA_OPTIONS} in its config map in
     * {@code deploy/k8s/base/kustomization.yaml}): its {@link #DEPLOYMENT_HEAP_OPTIONS}, then its
     * {@link #DEPLOYMENT_COMPILER_OPTIONS}; empty for none.
     */
    public static List<String> podJvmOptions(String service) {
        List<String> flags = new ArrayList<>(DEPLOYMENT_HEAP_OPTIONS.getOrDefault(service, List.of()));
        flags.addAll(DEPLOYMENT_COMPILER_OPTIONS.getOrDefault(service, List.of()));
        return List.copyOf(flags);
    }

    private static List<String> deploymentJvmOptions(int memoryLimitMib) {
        return List.of("-XX:MaxRAM=" + memoryLimitMib + "m", "-XX:MaxRAMPercentage=75", "-XX:+UseSerialGC");
    }

    /** The services, with the database each owns (null: stateless). */
    static final Map<String, String> SERVICES = orderedServices();

    /**
     * How long the run's tokens are valid. The key pair is made per run and the services listen on loopback only, so
     * the administrator's token lasts a working day and the change-detector's service token (set once at start) a month.
     */
    static final Duration ADMIN_TOKEN_LIFETIME = Duration.ofHours(12);
    static final Duration SERVICE_TOKEN_LIFETIME = Duration.ofDays(30);

    private final LocalStack stack;
    private final DruvaScimServer druva;
    private final String druvaToken;
    private final String adminToken;
    private final Path home;
    private final Path logs;
    private final Options options;
    /** Each service's running replicas; the first one is {@link #service(String)}. */
    private final Map<String, List<ServiceProcess>> services = new LinkedHashMap<>();
    /** The API port of each service's first replica. */
    private final Map<String, Integer> firstPorts = new LinkedHashMap<>();
    /** Held while the services and the Druva-compatible server stop (not this: the supervisor reads the replicas). */
    private final Object stopping = new Object();
    /** Guarded by {@link #stopping}. */
    private boolean stopped;

    private LocalSystem(LocalStack stack, DruvaScimServer druva, String druvaToken, Path home, Path logs,
            Options options) {
        this.stack = stack;
        this.druva = druva;
        this.druvaToken = druvaToken;
        this.adminToken = stack.issuer().token("local-admin", ADMIN_TOKEN_LIFETIME, LocalIssuer.ADMIN);
        this.home = home;
        this.logs = logs;
        this.options = options;
    }

    /**
     * How to start the system.
     *
     * @param druva the Druva-compatible server's settings (latency, rate limit, ...); its token is replaced by a fresh
     *        one
     * @param partitions the partitions of every provisioning topic (at least the replicas of any service, or a replica
     *        idles)
     * @param environment more environment for every service (e.g. {@code NOTIFIER_DIGEST_WINDOW})
     * @param serviceEnvironment more environment for one service, by service name; wins over {@code environment}
     * @param jvmOptions the flags of every service's {@code java} command
     * @param serviceJvmOptions flags for one service, by service name, instead of {@code jvmOptions}
     * @param replicas how many replicas of a service to start, by service name (default 1)
     */
    public record Options(DruvaScimServer.Options druva, int partitions, Map<String, String> environment,
            Map<String, Map<String, String>> serviceEnvironment, List<String> jvmOptions,
            Map<String, List<String>> serviceJvmOptions, Map<String, Integer> replicas) {

        public Options {
            Objects.requireNonNull(druva, "druva");
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
            }
            environment = Map.copyOf(environment);
            serviceEnvironment = Map.copyOf(serviceEnvironment);
            jvmOptions = List.copyOf(jvmOptions);
            serviceJvmOptions = Map.copyOf(serviceJvmOptions);
            replicas = Map.copyOf(replicas);
            for (String name : concat(serviceEnvironment.keySet(), serviceJvmOptions.keySet(), replicas.keySet())) {
                if (!SERVICES.containsKey(name)) {
                    throw new IllegalArgumentException("no service " + name + "; services are " + SERVICES.keySet());
                }
            }
            replicas.forEach((name, n) -> {
                if (n < 1) {
                    throw new IllegalArgumentException(name + " needs at least one replica, got " + n);
                }
            });
        }

        /** What the run command uses: 4 partitions, one replica each, {@link #LAUNCHER_JVM_OPTIONS}. */
        public static Options defaults() {
            return new Options(DruvaScimServer.Options.defaults(), 4, Map.of(), Map.of(), LAUNCHER_JVM_OPTIONS,
                    Map.of(), Map.of());
        }

        public Options druva(DruvaScimServer.Options druva) {
            return new Options(druva, partitions, environment, serviceEnvironment, jvmOptions, serviceJvmOptions,
                    replicas);
        }

        public Options partitions(int partitions) {
            return new Options(druva, partitions, environment, serviceEnvironment, jvmOptions, serviceJvmOptions,
                    replicas);
        }

        public Options environment(Map<String, String> environment) {
            return new Options(druva, partitions, environment, serviceEnvironment, jvmOptions, serviceJvmOptions,
                    replicas);
        }

        public Options serviceEnvironment(String service, Map<String, String> environment) {
            Map<String, Map<String, String>> changed = new LinkedHashMap<>(serviceEnvironment);
            changed.put(service, environment);
            return new Options(druva, partitions, this.environment, changed, jvmOptions, serviceJvmOptions, replicas);
        }

        public Options jvmOptions(List<String> jvmOptions) {
            return new Options(druva, partitions, environment, serviceEnvironment, jvmOptions, serviceJvmOptions,
                    replicas);
        }

        public Options serviceJvmOptions(String service, List<String> options) {
            Map<String, List<String>> changed = new LinkedHashMap<>(serviceJvmOptions);
            changed.put(service, options);
            return new Options(druva, partitions, environment, serviceEnvironment, jvmOptions, changed, replicas);
        }

        public Options replicas(String service, int count) {
            Map<String, Integer> changed = new LinkedHashMap<>(replicas);
            changed.put(service, count);
            return new Options(druva, partitions, environment, serviceEnvironment, jvmOptions, serviceJvmOptions,
                    changed);
        }

        /** The JVM flags of {@code service}. */
        public List<String> jvmOptionsOf(String service) {
            return serviceJvmOptions.getOrDefault(service, jvmOptions);
        }

        private static List<String> concat(java.util.Collection<String> a, java.util.Collection<String> b,
                java.util.Collection<String> c) {
            List<String> all = new ArrayList<>(a);
            all.addAll(b);
            all.addAll(c);
            return all;
        }
    }

    /**
     * Starts everything and waits until every service is ready, with the run command's settings
     * ({@link Options#defaults()}).
     *
     * @param home the project root (where {@code <service>/target/quarkus-app} are)
     * @param logs where the services' logs go
     * @param druvaOptions the Druva-compatible server's settings (latency, rate limit, ...)
     * @param extraEnvironment more environment for every service (e.g. {@code NOTIFIER_DIGEST_WINDOW})
     */
    public static LocalSystem start(Path home, Path logs, DruvaScimServer.Options druvaOptions,
            Map<String, String> extraEnvironment) {
        return start(home, logs, Options.defaults().druva(druvaOptions).environment(extraEnvironment));
    }

    /**
     * Starts everything and waits until every service (every replica) is ready.
     *
     * @param home the project root (where {@code <service>/target/quarkus-app} are)
     * @param logs where the services' logs go ({@code <service>.log}, {@code <service>-2.log} for a second replica)
     */
    public static LocalSystem start(Path home, Path logs, Options options) {
        // Kafka as in production: each service authenticates (SASL/SCRAM) and may do only what its ACLs grant
        LocalStack stack = LocalStack.start(options.partitions(), true);
        String token = "druva-" + java.util.UUID.randomUUID();
        DruvaScimServer druva = DruvaScimServer.start(options.druva().token(token));
        LocalSystem system = new LocalSystem(stack, druva, token, home, logs, options);
        // the services stop before Kafka and PostgreSQL, also when the JVM exits without close() (Ctrl-C, SIGTERM)
        stack.stopFirst(system::stopServicesAndDruva);
        try {
            Files.createDirectories(logs);
            // the first replica's API ports are chosen first: the change-detector is told the writer's
            SERVICES.keySet().forEach(name -> system.firstPorts.put(name, Ports.free()));
            List<ServiceProcess> all = new ArrayList<>();
            for (String name : SERVICES.keySet()) {
                List<ServiceProcess> replicas = new ArrayList<>();
                for (int i = 1; i <= options.replicas().getOrDefault(name, 1); i++) {
                    replicas.add(system.newReplica(name, i));
                }
                system.services.put(name, replicas);
                all.addAll(replicas);
            }
            all.forEach(ServiceProcess::start);
            awaitReady(all);
            return system;
        } catch (RuntimeException | IOException e) {
            system.close();
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
    }

    public LocalStack stack() {
        return stack;
    }

    public DruvaScimServer druva() {
        return druva;
    }

    /** The bearer token the Druva-compatible server accepts: what an administrator pastes as the secret token. */
    public String druvaToken() {
        return druvaToken;
    }

    /** The service's first replica. */
    public synchronized ServiceProcess service(String name) {
        return replicas(name).get(0);
    }

    /** The service's replicas, the first one first. */
    public synchronized List<ServiceProcess> replicas(String name) {
        List<ServiceProcess> replicas = services.get(name);
        if (replicas == null) {
            throw new IllegalArgumentException("no service " + name + "; services are " + SERVICES.keySet());
        }
        return List.copyOf(replicas);
    }

    /**
     * Starts one more replica of a service (same environment, Kafka user and flags, its own API and management ports)
     * and waits until it is ready.
     */
    public ServiceProcess addReplica(String name) {
        ServiceProcess replica;
        synchronized (this) {
            List<ServiceProcess> replicas = services.get(name);
            if (replicas == null) {
                throw new IllegalArgumentException("no service " + name + "; services are " + SERVICES.keySet());
            }
            // the same environment: the service's Kafka user, its database, the detector's writer URL and token
            ServiceProcess first = replicas.get(0);
            replica = new ServiceProcess(name + "-" + (replicas.size() + 1), jar(name), Ports.free(), Ports.free(),
                    first.environment(), logs, first.jvmOptions());
            replicas.add(replica);
        }
        replica.start().awaitReady(Duration.ofSeconds(120));
        return replica;
    }

    /** Stops the newest replica of a service gracefully; the first one cannot be removed. */
    public void removeReplica(String name) {
        ServiceProcess removed;
        synchronized (this) {
            List<ServiceProcess> replicas = services.get(name);
            if (replicas == null || replicas.size() < 2) {
                throw new IllegalArgumentException(name + " has no replica to remove");
            }
            removed = replicas.remove(replicas.size() - 1);
        }
        removed.close();
    }

    /**
     * Stops every replica of a service gracefully and starts them again (same ports) with some environment variables
     * changed, then waits until they are ready. For settings read only at start, such as the writer's rate limit.
     */
    public void restart(String name, Map<String, String> environmentChanges) {
        List<ServiceProcess> restarted = new ArrayList<>();
        synchronized (this) {
            List<ServiceProcess> replicas = services.get(name);
            if (replicas == null) {
                throw new IllegalArgumentException("no service " + name + "; services are " + SERVICES.keySet());
            }
            stopAll(replicas);
            replicas.replaceAll(r -> r.withEnvironment(environmentChanges));
            restarted.addAll(replicas);
        }
        restarted.forEach(ServiceProcess::start);
        awaitReady(restarted);
    }

    /** A client of the jobs API with the administrator's token. */
    public JobsClient jobs() {
        return new JobsClient(service("change-detector").url(), adminToken);
    }

    /** An access token with the role {@code Provisioning.Admin}, valid for {@link #ADMIN_TOKEN_LIFETIME}. */
    public String adminToken() {
        return adminToken;
    }

    /** The settings the system was started with. */
    public Options options() {
        return options;
    }

    /** Finds the project root: {@code provisioning.home}, else the working directory or one of its parents. */
    public static Path findHome() {
        String configured = System.getProperty("provisioning.home");
        if (configured != null) {
            return Path.of(configured).toAbsolutePath();
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.isDirectory(dir.resolve("change-detector")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException(
                "cannot find the project root: run from the repository, or set -Dprovisioning.home");
    }

    /**
     * Stops everything in order: every service (gracefully, all at once, each within 20 s), the Druva-compatible
     * server, then the infrastructure (SMTP, PostgreSQL, Kafka). The stack's own shutdown hook stops the services first
     * as well ({@link LocalStack#stopFirst}), so the order holds on every path: this call, the run command's Ctrl-C or
     * SIGTERM, {@code --exit}, a test JVM's exit. A service's work in flight thus ends against a database and a broker
     * that still answer, and nothing of a clean stop is logged as an error.
     */
    @Override
    public void close() {
        stopServicesAndDruva();
        stack.close();
    }

    /**
     * Stops every replica of every service gracefully (SIGTERM; each has 20 s before it is killed), all at once, then
     * the Druva-compatible server. Once: a concurrent call returns when they are stopped.
     */
    private void stopServicesAndDruva() {
        synchronized (stopping) {
            if (stopped) {
                return;
            }
            stopServices();
            druva.close();
            stopped = true;
        }
    }

    /**
     * Stops every replica of every service gracefully, all at once (as the system's stop does, without stopping the
     * infrastructure), and waits until they have exited; {@link ServiceProcess#start()} starts one again.
     */
    public void stopServices() {
        List<ServiceProcess> running;
        synchronized (this) {
            running = services.values().stream().flatMap(List::stream).toList();
        }
        stopAll(running);
    }

    /** Stops services gracefully, all at once: each takes seconds to close its Kafka clients. */
    private static void stopAll(List<ServiceProcess> processes) {
        CompletableFuture.allOf(processes.stream().map(s -> CompletableFuture.runAsync(s::close))
                .toArray(CompletableFuture[]::new)).join();
    }

    /**
     * A replica of a service, not started: the service's Kafka user and database (replicas share them), its own API
     * and management ports.
     */
    private ServiceProcess newReplica(String name, int index) {
        Map<String, String> env = new LinkedHashMap<>(stack.serviceEnvironment(name, SERVICES.get(name)));
        env.putAll(LOCAL_TUNING);
        // the local Druva (and Graph) servers listen on loopback without TLS: allowed here only (default: https only)
        if (name.equals("change-detector")) {
            env.put("DETECTOR_ALLOW_INSECURE_LOOPBACK", "true");
        } else if (name.equals("scim-writer")) {
            env.put("WRITER_ALLOW_INSECURE_LOOPBACK", "true");
        }
        if (name.equals("change-detector")) {
            // the services know each other: test connection, provision on demand and escrows go to the writer
            env.put("DETECTOR_WRITER_URL", "http://" + ServiceProcess.HOST + ":" + firstPorts.get("scim-writer"));
            env.put("DETECTOR_WRITER_AUTH_TOKEN",
                    stack.issuer().token("change-detector", SERVICE_TOKEN_LIFETIME, LocalIssuer.SERVICE));
        }
        env.putAll(options.environment());
        env.putAll(options.serviceEnvironment().getOrDefault(name, Map.of()));
        int port = index == 1 ? firstPorts.get(name) : Ports.free();
        return new ServiceProcess(index == 1 ? name : name + "-" + index, jar(name), port, Ports.free(), env, logs,
                options.jvmOptionsOf(name));
    }

    private Path jar(String name) {
        return home.resolve(name).resolve("target/quarkus-app/quarkus-run.jar");
    }

    /** The services start in parallel; wait for all of them. */
    private static void awaitReady(List<ServiceProcess> processes) {
        CompletableFuture.allOf(processes.stream()
                .map(s -> CompletableFuture.runAsync(() -> s.awaitReady(Duration.ofSeconds(120))))
                .toArray(CompletableFuture[]::new)).join();
    }

    private static Map<String, String> orderedServices() {
        Map<String, String> services = new LinkedHashMap<>();
        services.put("change-detector", "change_detector");
        services.put("mapper-service", null);
        services.put("scim-writer", "scim_writer");
        services.put("notifier", "notifier");
        return services;
    }
}
