package dev.provisioning.telemetry;

import java.time.Duration;

import org.jboss.logging.Logger;

import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;

/**
 * Pauses a channel's Kafka consumer as its service stops ({@code DetectorStop}, {@code MapperStop},
 * {@code NotifierStop}): nothing more is fetched; what was fetched before is still delivered. A consumer paused this
 * way stays paused until SmallRye resumes it (SmallRye Kafka 4.33 resumes a consumer it paused itself when its queue of
 * fetched records drains, which may resume one paused here: a drain pauses it again while it waits).
 */
public final class ConsumerPause {

    /** How long pausing may take (it runs on the consumer's polling thread, after the poll under way). */
    private static final Duration PAUSE_WAIT = Duration.ofSeconds(2);
    private static final Logger LOG = Logger.getLogger(ConsumerPause.class);

    private ConsumerPause() {
    }

    /**
     * Pauses every partition of the channel's consumer; a failure only lets the consumer fetch a little longer (logged
     * at DEBUG).
     *
     * @param kafka the connector's clients; null: nothing to pause (a test without Kafka)
     * @param channel the incoming channel's name
     */
    public static void pause(KafkaClientService kafka, String channel) {
        if (kafka == null) {
            return;
        }
        try {
            KafkaConsumer<Object, Object> consumer = kafka.getConsumer(channel);
            if (consumer != null) {
                consumer.pause().await().atMost(PAUSE_WAIT);
            }
        } catch (RuntimeException e) {
            LOG.debugf("pausing the %s consumer failed as the service stops: %s", channel, e.toString());
        }
    }
}
