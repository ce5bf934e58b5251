package dev.provisioning.telemetry;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * A W3C trace context header ({@code traceparent: 00-<trace id>-<parent span id>-<flags>}, W3C Trace Context §3.2) as
 * the services' Kafka records carry it, for tests and diagnostics.
 *
 * @param traceId 32 lower-case hex digits
 * @param spanId 16 lower-case hex digits: the span the record's sender had open (its producer span)
 */
public record TraceParent(String traceId, String spanId) {

    /** The header's name. */
    public static final String HEADER = "traceparent";
    private static final Pattern VALUE = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");

    /** A new, random trace context, as a caller from outside would send it. */
    public static TraceParent random() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        return new TraceParent(String.format("%016x%016x", r.nextLong(), r.nextLong() | 1),
                String.format("%016x", r.nextLong() | 1));
    }

    /** The header value, sampled. */
    public String header() {
        return "00-" + traceId + "-" + spanId + "-01";
    }

    /** Reads a header value; empty when it is not a version-00 traceparent. */
    public static Optional<TraceParent> parse(String value) {
        Matcher m = VALUE.matcher(value == null ? "" : value.trim());
        return m.matches() ? Optional.of(new TraceParent(m.group(1), m.group(2))) : Optional.empty();
    }

    /** The traceparent of a Kafka record's headers, if it has one. */
    public static Optional<TraceParent> of(Headers headers) {
        Header header = headers.lastHeader(HEADER);
        return header == null ? Optional.empty() : parse(new String(header.value(), StandardCharsets.UTF_8));
    }
}
