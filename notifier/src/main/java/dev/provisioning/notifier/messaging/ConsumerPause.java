package dev.provisioning.notifier.messaging;

import java.time.Duration;

import org.jboss.logging.Logger;

import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;

/** Pauses a channel's Kafka consumer as the notifier stops ({@code NotifierStop}): nothing more is fetched. */
final class ConsumerPause {

    /** How long pausing may take (it runs on the consumer's polling thread). */
    private static final Duration PAUSE_WAIT = Duration.ofSeconds(2);
    private static final Logger LOG = Logger.getLogger(ConsumerPause.class);

    private ConsumerPause() {
    }

    /**
     * Pauses every partition of the channel's consumer; a failure only lets the consumer fetch a little longer.
     *
     * @param kafka the connector's clients; null: nothing to pause (a test without Kafka)
     */
    static void pause(KafkaClientService kafka, String channel) {
        if (kafka == null) {
            return;
        }
        try {
            KafkaConsumer<Object, Object> consumer = kafka.getConsumer(channel);
            if (consumer != null) {
                consumer.pause().await().atMost(PAUSE_WAIT);
            }
        } catch (RuntimeException e) {
            LOG.debugf("pausing the %s consumer failed as the notifier stops: %s", channel, e.toString());
        }
    }
}
