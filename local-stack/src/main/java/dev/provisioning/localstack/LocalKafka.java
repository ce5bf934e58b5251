package dev.provisioning.localstack;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.security.auth.SecurityProtocol;

import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;

import dev.provisioning.events.Topics;

/**
 * A real Apache Kafka broker in KRaft combined mode (broker and controller), in this JVM, on a free port. Creates the
 * provisioning topics with the given partition count; {@code provisioning.jobs} is compacted.
 *
 * <p>
 * {@link #startWithCredentials(int)} adds what a production cluster has: a SASL listener where clients authenticate
 * with SCRAM-SHA-512 ({@link #addUser(String)}) and an authorizer that allows a user only what its ACLs grant
 * ({@link #grant(KafkaAcls.ServiceAcl)}; nothing without an ACL). The plain listener ({@link #bootstrapServers()}) stays
 * on loopback for the harness that creates topics, grants ACLs and reads topics in tests: its anonymous clients are
 * the super user. The services are given the SASL listener only.
 */
public final class LocalKafka implements AutoCloseable {

    /** The SASL mechanism of the credentialed listener. */
    public static final String SCRAM = "SCRAM-SHA-512";
    private static final String SASL_LISTENER = "SASL";

    private final EmbeddedKafkaBroker broker;
    private final String bootstrapServers;
    private final String saslBootstrapServers;

    private LocalKafka(EmbeddedKafkaBroker broker, String saslBootstrapServers) {
        this.broker = broker;
        String listeners = broker.getAdvertisedListeners();
        String plain = java.util.Arrays.stream(listeners.split(",")).filter(l -> l.startsWith("PLAINTEXT://"))
                .findFirst().orElse(listeners.split(",")[0]);
        this.bootstrapServers = plain.substring(plain.indexOf("://") + 3);
        this.saslBootstrapServers = saslBootstrapServers;
    }

    /** Starts a broker on a free port and creates the provisioning topics. */
    public static LocalKafka start(int partitions) {
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker()
                .withDeleteLogDirsOnClose(true)
                .withKafkaPort(Ports.free())
                .withControllerPort(Ports.free())
                .withAdditionalProperties(p -> defaults(p, partitions))
                .start();
        LocalKafka kafka = new LocalKafka(broker, null);
        kafka.createTopics(partitions, Topics.all());
        return kafka;
    }

    /**
     * Starts a broker with a SASL/SCRAM listener and ACL authorization (see the class comment) and creates the
     * provisioning topics.
     */
    public static LocalKafka startWithCredentials(int partitions) {
        int plainPort = Ports.free();
        int saslPort = Ports.free();
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker()
                .withDeleteLogDirsOnClose(true)
                .withKafkaPort(plainPort)
                .withControllerPort(Ports.free())
                .withAdvertisedListeners(
                        EmbeddedKafkaBroker.endpoint(SecurityProtocol.PLAINTEXT, "localhost", plainPort),
                        EmbeddedKafkaBroker.endpoint(SASL_LISTENER, SecurityProtocol.SASL_PLAINTEXT, "localhost",
                                saslPort))
                .withAdditionalProperties(p -> {
                    defaults(p, partitions);
                    p.put("sasl.enabled.mechanisms", SCRAM);
                    p.put("listener.name." + SASL_LISTENER.toLowerCase(Locale.ROOT) + "."
                            + SCRAM.toLowerCase(Locale.ROOT) + ".sasl.jaas.config",
                            "org.apache.kafka.common.security.scram.ScramLoginModule required;");
                    p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
                    // the plain listeners (harness, controller, inter-broker) are anonymous: the super user
                    p.put("super.users", "User:ANONYMOUS");
                    p.put("allow.everyone.if.no.acl.found", "false");
                    p.put("auto.create.topics.enable", "false");
                })
                .start();
        LocalKafka kafka = new LocalKafka(broker, "localhost:" + saslPort);
        kafka.createTopics(partitions, Topics.all());
        return kafka;
    }

    private static void defaults(Properties p, int partitions) {
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("num.partitions", String.valueOf(partitions));
        p.put("auto.create.topics.enable", "true");
        p.put("log.cleaner.backoff.ms", "1000");
    }

    /** {@code host:port} for {@code kafka.bootstrap.servers}: the plain listener (the harness's, in a secured broker). */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Whether clients authenticate (SASL/SCRAM) and are authorized by ACLs. */
    public boolean requiresCredentials() {
        return saslBootstrapServers != null;
    }

    /** {@code host:port} of the SASL/SCRAM listener; only on a broker started with credentials. */
    public String saslBootstrapServers() {
        if (saslBootstrapServers == null) {
            throw new IllegalStateException("this broker was started without credentials");
        }
        return saslBootstrapServers;
    }

    /**
     * Creates a SCRAM-SHA-512 user with a fresh random password and returns the password. The user may do nothing
     * until it is granted ACLs.
     */
    public String addUser(String user) {
        byte[] random = new byte[24];
        new java.security.SecureRandom().nextBytes(random);
        String password = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        try (Admin admin = admin()) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password))).all()
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the Kafka user " + user, e);
        }
        return password;
    }

    /** Grants a service's ACLs. */
    public void grant(KafkaAcls.ServiceAcl acl) {
        try (Admin admin = admin()) {
            admin.createAcls(acl.bindings()).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot grant the ACLs of " + acl.principal(), e);
        }
    }

    /**
     * The Kafka client settings of a user on the SASL/SCRAM listener, as {@code kafka.*} properties (Quarkus passes
     * them to every channel and to its admin client).
     */
    public Map<String, String> clientConfig(String user, String password) {
        return Map.of("kafka.bootstrap.servers", saslBootstrapServers(),
                "kafka.security.protocol", "SASL_PLAINTEXT",
                "kafka.sasl.mechanism", SCRAM,
                "kafka.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                        + "username=\"" + user + "\" password=\"" + password + "\";");
    }

    /**
     * Creates topics that do not exist yet; {@code provisioning.jobs} is compacted, the topics of
     * {@link Topics#largeRecordTopics()} take records up to {@link Topics#MAX_RECORD_BYTES}.
     */
    public void createTopics(int partitions, Collection<String> names) {
        try (Admin admin = admin()) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> topics = new ArrayList<>();
            for (String name : names) {
                if (existing.contains(name)) {
                    continue;
                }
                NewTopic topic = new NewTopic(name, partitions, (short) 1);
                if (name.equals(Topics.JOBS)) {
                    topic.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
                } else if (Topics.largeRecordTopics().contains(name)) {
                    topic.configs(
                            Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(Topics.MAX_RECORD_BYTES)));
                }
                topics.add(topic);
            }
            admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topics " + names, e.getCause());
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topics " + names, e);
        }
    }

    /** An admin client on this broker; close it. */
    public Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return Admin.create(props);
    }

    @Override
    public void close() {
        broker.close();
    }
}
