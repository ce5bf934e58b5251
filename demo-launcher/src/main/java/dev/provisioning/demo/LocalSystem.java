package dev.provisioning.demo;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.localstack.LocalIssuer;
import dev.provisioning.localstack.LocalStack;

/**
 * The whole system on the embedded default: the real infrastructure (Kafka, PostgreSQL, SMTP) and the Druva-compatible
 * server in this JVM, and the four services as separate processes pointed at them and at each other (the
 * change-detector knows the scim-writer's URL), on loopback only. Each service connects to Kafka as its own user
 * (SASL/SCRAM) holding only its ACLs ({@link dev.provisioning.localstack.KafkaAcls}). The services trust the stack's token issuer
 * ({@link dev.provisioning.localstack.LocalIssuer}, a key pair made for this run): the change-detector calls the
 * writer with a service token minted here, and {@link #adminToken()} is an administrator's. Used by the run command
 * and by the end-to-end tests.
 */
public final class LocalSystem implements AutoCloseable {

    /**
     * Settings for one machine, where a service that dies is restarted in seconds: a dead consumer's partitions move to
     * its successor after 10 s (Kafka's default is 45 s), and a dead writer replica stops holding a share of the tenant
     * rate limit after 6 s (default 20 s). Deployments keep the defaults.
     */
    static final Map<String, String> LOCAL_TUNING = Map.of("KAFKA_SESSION_TIMEOUT_MS", "10000",
            "KAFKA_HEARTBEAT_INTERVAL_MS", "1000", "WRITER_REPLICAS_HEARTBEAT_INTERVAL", "2s",
            "WRITER_REPLICAS_LIVENESS", "6s");

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
    private final Map<String, ServiceProcess> services = new LinkedHashMap<>();

    private LocalSystem(LocalStack stack, DruvaScimServer druva, String druvaToken) {
        this.stack = stack;
        this.druva = druva;
        this.druvaToken = druvaToken;
        this.adminToken = stack.issuer().token("local-admin", ADMIN_TOKEN_LIFETIME, LocalIssuer.ADMIN);
    }

    /**
     * Starts everything and waits until every service is ready.
     *
     * @param home the project root (where {@code <service>/target/quarkus-app} are)
     * @param logs where the services' logs go
     * @param druvaOptions the Druva-compatible server's settings (latency, rate limit, ...)
     * @param extraEnvironment more environment for every service (e.g. {@code NOTIFIER_DIGEST_WINDOW})
     */
    public static LocalSystem start(Path home, Path logs, DruvaScimServer.Options druvaOptions,
            Map<String, String> extraEnvironment) {
        // Kafka as in production: each service authenticates (SASL/SCRAM) and may do only what its ACLs grant
        LocalStack stack = LocalStack.start(4, true);
        String token = "druva-" + java.util.UUID.randomUUID();
        DruvaScimServer druva = DruvaScimServer.start(druvaOptions.token(token));
        LocalSystem system = new LocalSystem(stack, druva, token);
        try {
            Files.createDirectories(logs);
            Map<String, Integer> ports = new LinkedHashMap<>();
            SERVICES.keySet().forEach(name -> ports.put(name, freePort()));
            for (var service : SERVICES.entrySet()) {
                Map<String, String> env = new LinkedHashMap<>(
                        stack.serviceEnvironment(service.getKey(), service.getValue()));
                env.putAll(LOCAL_TUNING);
                if (service.getKey().equals("change-detector")) {
                    // the services know each other: test connection, provision on demand and escrows go to the writer
                    env.put("DETECTOR_WRITER_URL", "http://" + ServiceProcess.HOST + ":" + ports.get("scim-writer"));
                    env.put("DETECTOR_WRITER_AUTH_TOKEN", stack.issuer().token("change-detector",
                            SERVICE_TOKEN_LIFETIME, LocalIssuer.SERVICE));
                }
                env.putAll(extraEnvironment);
                Path jar = home.resolve(service.getKey()).resolve("target/quarkus-app/quarkus-run.jar");
                system.services.put(service.getKey(), new ServiceProcess(service.getKey(), jar,
                        ports.get(service.getKey()), freePort(), env, logs));
            }
            system.services.values().forEach(ServiceProcess::start);
            // the services start in parallel; wait for all of them
            CompletableFuture.allOf(system.services.values().stream()
                    .map(s -> CompletableFuture.runAsync(() -> s.awaitReady(Duration.ofSeconds(120))))
                    .toArray(CompletableFuture[]::new)).join();
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

    public ServiceProcess service(String name) {
        ServiceProcess service = services.get(name);
        if (service == null) {
            throw new IllegalArgumentException("no service " + name + "; services are " + SERVICES.keySet());
        }
        return service;
    }

    /** A client of the jobs API with the administrator's token. */
    public JobsClient jobs() {
        return new JobsClient(service("change-detector").url(), adminToken);
    }

    /** An access token with the role {@code Provisioning.Admin}, valid for {@link #ADMIN_TOKEN_LIFETIME}. */
    public String adminToken() {
        return adminToken;
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

    @Override
    public void close() {
        List<ServiceProcess> running = List.copyOf(services.values());
        running.forEach(ServiceProcess::close);
        druva.close();
        stack.close();
    }

    private static Map<String, String> orderedServices() {
        Map<String, String> services = new LinkedHashMap<>();
        services.put("change-detector", "change_detector");
        services.put("mapper-service", null);
        services.put("scim-writer", "scim_writer");
        services.put("notifier", "notifier");
        return services;
    }

    /** Ports handed out in this JVM: a port chosen for a service that has not bound it yet is still free to the OS. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A free port, never one this JVM handed out before: the API ports are all chosen before the services start, so
     * without this a management port could be the API port of a service that has not started yet (both then on one
     * port, and the service never ready).
     */
    static int freePort() {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket socket = new ServerSocket(0)) {
                if (HANDED_OUT.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            } catch (IOException e) {
                throw new IllegalStateException("no free port", e);
            }
        }
        throw new IllegalStateException("no free port not handed out before");
    }
}
