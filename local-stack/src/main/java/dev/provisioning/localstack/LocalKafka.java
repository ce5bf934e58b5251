package dev.provisioning.localstack;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;

import dev.provisioning.events.Topics;

/**
 * A real Apache Kafka broker in KRaft combined mode (broker and controller), in this JVM, on a free port. Creates the
 * provisioning topics with the given partition count; {@code provisioning.jobs} is compacted.
 */
public final class LocalKafka implements AutoCloseable {

    private final EmbeddedKafkaBroker broker;
    private final String bootstrapServers;

    private LocalKafka(EmbeddedKafkaBroker broker) {
        this.broker = broker;
        String listeners = broker.getAdvertisedListeners();
        this.bootstrapServers = listeners.substring(listeners.indexOf("://") + 3);
    }

    /** Starts a broker on a free port and creates the provisioning topics. */
    public static LocalKafka start(int partitions) {
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker()
                .withDeleteLogDirsOnClose(true)
                .withAdditionalProperties(p -> {
                    p.put("group.initial.rebalance.delay.ms", "0");
                    p.put("offsets.topic.replication.factor", "1");
                    p.put("transaction.state.log.replication.factor", "1");
                    p.put("transaction.state.log.min.isr", "1");
                    p.put("num.partitions", String.valueOf(partitions));
                    p.put("auto.create.topics.enable", "true");
                    p.put("log.cleaner.backoff.ms", "1000");
                })
                .start();
        LocalKafka kafka = new LocalKafka(broker);
        kafka.createTopics(partitions, Topics.all());
        return kafka;
    }

    /** {@code host:port} for {@code kafka.bootstrap.servers}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Creates topics that do not exist yet; {@code provisioning.jobs} is compacted. */
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
