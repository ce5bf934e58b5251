package dev.provisioning.telemetry;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The headers every service writes on a dead-lettered record, so an operator reads every {@code *.dlq} topic alike
 * (the names are SmallRye Reactive Messaging's own {@code dead-letter-queue} failure strategy's, which the mapper's
 * channel uses): {@value #REASON} (why, UTF-8 text), {@value #TOPIC}, {@value #PARTITION} and {@value #OFFSET} (where
 * the record was read, decimal text). The record's key and value are copied as they came by the caller; the value is
 * never logged.
 */
public final class DeadLetterHeaders {

    /** Why the record was dead-lettered (an exception's message or a named reason). */
    public static final String REASON = "dead-letter-reason";
    /** The topic the record was read from. */
    public static final String TOPIC = "dead-letter-topic";
    /** The partition it was read from. */
    public static final String PARTITION = "dead-letter-partition";
    /** Its offset there. */
    public static final String OFFSET = "dead-letter-offset";

    private DeadLetterHeaders() {
    }

    /**
     * The headers of a record read from {@code topic}-{@code partition} at {@code offset}.
     *
     * @param reason why; {@code null} is written as {@code unknown}
     * @param topic the topic it was read from
     * @param partition its partition
     * @param offset its offset; {@code -1} when not known
     * @return new, mutable headers
     */
    public static Headers of(String reason, String topic, int partition, long offset) {
        Headers headers = reasonOnly(reason);
        headers.add(TOPIC, utf8(topic));
        headers.add(PARTITION, utf8(String.valueOf(partition)));
        headers.add(OFFSET, utf8(String.valueOf(offset)));
        return headers;
    }

    /**
     * The headers of a record whose origin is not known (a message without Kafka metadata, as in-memory tests send).
     *
     * @param reason why; {@code null} is written as {@code unknown}
     * @return new, mutable headers holding only {@value #REASON}
     */
    public static Headers reasonOnly(String reason) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(REASON, utf8(reason == null ? "unknown" : reason));
        return headers;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
