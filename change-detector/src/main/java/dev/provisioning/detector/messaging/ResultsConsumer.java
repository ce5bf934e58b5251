package dev.provisioning.detector.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.ProvisioningResult;

/**
 * Records every provisioning result in the provisioning log. Topic in: {@code provisioning.results} (channel
 * {@value #CHANNEL}). Ack rule: acked once the record is stored (idempotently, by result id); a record that cannot be
 * decoded is nacked and goes to {@code provisioning.results.dlq} with the reason.
 */
@ApplicationScoped
public class ResultsConsumer {

    public static final String CHANNEL = "results";
    private static final Logger LOG = Logger.getLogger(ResultsConsumer.class);

    private final ProvisioningLogRepository log;
    private final MeterRegistry registry;

    public ResultsConsumer(ProvisioningLogRepository log, MeterRegistry registry) {
        this.log = log;
        this.registry = registry;
    }

    @Incoming(CHANNEL)
    public Uni<Void> onResult(String json) {
        ProvisioningResult result = EventChecks.result(json);
        return log.record(result).invoke(recorded -> {
            if (recorded) {
                registry.counter("provisioning.detector.results", "job", result.jobId(), "action",
                        result.action().name(), "status", result.status().name()).increment();
            } else {
                LOG.debugf("result %s was already recorded", result.resultId());
            }
        }).replaceWithVoid();
    }
}
