package dev.provisioning.localstack;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.provisioning.events.job.SecretCipher;

/**
 * The whole real infrastructure for tests and the local run: Kafka, PostgreSQL (one database per stateful service) and
 * SMTP, plus a fresh key for the job secrets and a fresh token issuer ({@link LocalIssuer}) whose tokens the services
 * trust. {@link #serviceConfig(String)} gives the Quarkus configuration that points a service at it.
 *
 * <p>
 * It stops in order, whoever stops it: first what uses it ({@link #stopFirst}: the services of the run command, the
 * end-to-end tests and the benchmark), the last registered first, then SMTP, PostgreSQL and Kafka; on {@link #close()},
 * or from its one shutdown hook when the JVM exits without that (Ctrl-C, SIGTERM, {@code System.exit}). Only one hook
 * stops the infrastructure: the JVM runs its hooks at the same time, so a second hook stopping PostgreSQL (zonky's own,
 * see {@link LocalPostgres}) would end its sessions while the services still use them.
 */
public final class LocalStack implements AutoCloseable {

    /** The databases of the stateful services. Each service owns its database; none reads another's. */
    public static final List<String> DATABASES = List.of("change_detector", "scim_writer", "notifier");

    private final LocalKafka kafka;
    private final LocalPostgres postgres;
    private final LocalSmtp smtp;
    private final String secretKey;
    private final LocalIssuer issuer;
    /** Kafka passwords of the services, created on first use (a broker with credentials only). */
    private final Map<String, String> kafkaPasswords = new java.util.concurrent.ConcurrentHashMap<>();
    /** What uses the stack and stops before it, the last registered first. Guarded by this. */
    private final Deque<AutoCloseable> users = new ArrayDeque<>();
    /** Guarded by this. */
    private boolean closed;
    private final Thread stopAtExit = new Thread(this::close, "local-stack-stop");

    private LocalStack(LocalKafka kafka, LocalPostgres postgres, LocalSmtp smtp, String secretKey, LocalIssuer issuer) {
        this.kafka = kafka;
        this.postgres = postgres;
        this.smtp = smtp;
        this.secretKey = secretKey;
        this.issuer = issuer;
    }

    /** Starts Kafka, PostgreSQL and SMTP. */
    public static LocalStack start(int partitions) {
        return start(partitions, false);
    }

    /**
     * Starts Kafka, PostgreSQL and SMTP.
     *
     * @param kafkaCredentials whether Kafka clients must authenticate (SASL/SCRAM) and are held to their service's ACLs
     *        ({@link KafkaAcls}); then a service's configuration ({@link #serviceConfig(String, String)}) carries its
     *        own Kafka user
     */
    public static LocalStack start(int partitions, boolean kafkaCredentials) {
        LocalKafka kafka = kafkaCredentials
                ? LocalKafka.startWithCredentials(partitions)
                : LocalKafka.start(partitions);
        LocalPostgres postgres = LocalPostgres.start(DATABASES);
        LocalSmtp smtp = LocalSmtp.start();
        LocalStack stack = new LocalStack(kafka, postgres, smtp, SecretCipher.generateKey(), LocalIssuer.generate());
        Runtime.getRuntime().addShutdownHook(stack.stopAtExit);
        return stack;
    }

    /**
     * Has {@code user} stopped before the infrastructure, whichever way the stack stops ({@link #close()} or the JVM's
     * exit): for what holds connections to it, such as service processes, which would otherwise log their database's
     * or broker's disappearance as errors. Users stop one after another, the last registered first; a user that fails
     * to stop is reported on standard error and the others still stop.
     *
     * @throws IllegalStateException when the stack is already closed
     */
    public synchronized void stopFirst(AutoCloseable user) {
        if (closed) {
            throw new IllegalStateException("the local stack is closed");
        }
        users.push(user);
    }

    public LocalKafka kafka() {
        return kafka;
    }

    public LocalPostgres postgres() {
        return postgres;
    }

    public LocalSmtp smtp() {
        return smtp;
    }

    /** The base64 AES key every service shares for job secrets. */
    public String secretKey() {
        return secretKey;
    }

    /** The issuer of the access tokens the services accept (a key pair made when the stack started). */
    public LocalIssuer issuer() {
        return issuer;
    }

    /**
     * Quarkus configuration properties that point a service at this stack and make it trust the stack's token issuer.
     *
     * @param database the service's database, or null for a service without state
     */
    public Map<String, String> serviceConfig(String database) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("kafka.bootstrap.servers", kafka.bootstrapServers());
        config.put("provisioning.secret-key", secretKey);
        config.put("quarkus.mailer.host", smtp.host());
        config.put("quarkus.mailer.port", String.valueOf(smtp.port()));
        config.put("quarkus.mailer.mock", "false");
        config.putAll(issuer.serviceConfig());
        if (database != null) {
            config.put("quarkus.datasource.jdbc.url", postgres.jdbcUrl(database));
            config.put("quarkus.datasource.reactive.url", postgres.reactiveUrl(database));
            config.put("quarkus.datasource.username", LocalPostgres.USER);
            config.put("quarkus.datasource.password", LocalPostgres.PASSWORD);
        }
        return config;
    }

    /**
     * The configuration of one service: {@link #serviceConfig(String)}, and when Kafka requires credentials the
     * service's own Kafka user (SCRAM, created on first use) holding exactly its ACLs ({@link KafkaAcls#of}).
     *
     * @param service the service's name, which is also its Kafka user
     */
    public Map<String, String> serviceConfig(String service, String database) {
        Map<String, String> config = serviceConfig(database);
        if (kafka.requiresCredentials()) {
            String password = kafkaPasswords.computeIfAbsent(service, user -> {
                String created = kafka.addUser(user);
                kafka.grant(KafkaAcls.of(user));
                return created;
            });
            config.putAll(kafka.clientConfig(service, password));
        }
        return config;
    }

    /** The same configuration as environment variables, for a service started as a child process. */
    public Map<String, String> serviceEnvironment(String database) {
        Map<String, String> env = new LinkedHashMap<>();
        serviceConfig(database).forEach((k, v) -> env.put(toEnvName(k), v));
        return env;
    }

    /** {@link #serviceConfig(String, String)} as environment variables. */
    public Map<String, String> serviceEnvironment(String service, String database) {
        Map<String, String> env = new LinkedHashMap<>();
        serviceConfig(service, database).forEach((k, v) -> env.put(toEnvName(k), v));
        return env;
    }

    /** MicroProfile Config's mapping of a property name to an environment variable name. */
    public static String toEnvName(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(java.util.Locale.ROOT);
    }

    /**
     * Stops what uses the stack ({@link #stopFirst}), then SMTP, PostgreSQL and Kafka; once (later calls return at once,
     * a concurrent one when all is stopped).
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        while (!users.isEmpty()) {
            closeQuietly(users.pop());
        }
        closeQuietly(smtp);
        closeQuietly(postgres);
        closeQuietly(kafka);
        try {
            Runtime.getRuntime().removeShutdownHook(stopAtExit);
        } catch (IllegalStateException e) {
            // the JVM is exiting: this is the hook, or it has started and finds the stack closed
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            System.err.println("local stack: " + c.getClass().getSimpleName() + " did not stop cleanly: " + e);
        }
    }
}
