package dev.provisioning.telemetry;

import org.eclipse.microprofile.reactive.messaging.Message;

import io.opentelemetry.context.Context;
import io.smallrye.reactive.messaging.TracingMetadata;

/**
 * OpenTelemetry's context across the services' own asynchronous hand-offs. SmallRye's Kafka connector extracts the
 * trace context of an incoming record's headers (W3C {@code traceparent}) into a consumer span, and injects the
 * context of an outgoing record's producer span into its headers; the parent of that producer span is the message's
 * {@link TracingMetadata}, else whatever context is current on the sending thread. Records that wait for their job's
 * configuration, go through a tenant's lane or are sent from a scheduled cycle are sent from another thread and
 * context than the one they arrived on, so the services say explicitly which trace an outgoing record continues.
 * With tracing off ({@code quarkus.otel.sdk.disabled=true}, the default) every context is empty and nothing is added to
 * the records.
 */
public final class MessageTraces {

    private MessageTraces() {
    }

    /** The trace context of an incoming message (its consumer span), else the current one. */
    public static Context of(Message<?> incoming) {
        return TracingMetadata.fromMessage(incoming).map(TracingMetadata::getCurrentContext).filter(c -> c != null)
                .orElseGet(Context::current);
    }

    /** An outgoing message whose producer span is a child of {@code parent}: the record continues that trace. */
    public static <T> Message<T> continuing(Message<T> outgoing, Context parent) {
        return outgoing.addMetadata(TracingMetadata.withCurrent(parent));
    }

    /**
     * An outgoing message that starts a trace of its own (its producer span has no parent): one object's trace, not
     * one trace for everything a scheduled cycle or a request sends.
     */
    public static <T> Message<T> newTrace(Message<T> outgoing) {
        return continuing(outgoing, Context.root());
    }
}
