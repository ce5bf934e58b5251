package dev.provisioning.detector.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;

import dev.provisioning.events.JobStateEvent;
import dev.provisioning.events.Json;

/**
 * Publishes changes in a job's health (quarantine, held deletions, token) to {@code provisioning.job-states} (channel
 * {@value #CHANNEL}), keyed by job id, for the notifier. The returned Uni completes when the broker has the record.
 * Callers publish before they record the change, so a crash repeats the publication under the same {@code eventId}
 * (the notifier dedupes on it) and never loses it.
 */
@ApplicationScoped
public class JobStatePublisher {

    public static final String CHANNEL = "job-states";
    private static final Logger LOG = Logger.getLogger(JobStatePublisher.class);

    private final MutinyEmitter<String> emitter;

    public JobStatePublisher(@Channel(CHANNEL) MutinyEmitter<String> emitter) {
        this.emitter = emitter;
    }

    public Uni<Void> publish(JobStateEvent event) {
        return emitter.sendMessage(KafkaRecords.keyed(event.jobId(), Json.write(event)))
                .invoke(() -> LOG.infof("job %s: %s (%s) %s", event.jobId(), event.change(), event.reasonCode(),
                        event.reason() == null ? "" : event.reason()));
    }
}
