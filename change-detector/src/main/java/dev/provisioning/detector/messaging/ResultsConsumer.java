package dev.provisioning.detector.messaging;

import java.time.Duration;
import java.time.OffsetDateTime;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.persistence.CycleRepository;
import dev.provisioning.detector.persistence.JobRepository;
import dev.provisioning.detector.persistence.ProvisioningLogRepository;
import dev.provisioning.detector.safety.Quarantine;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.ProvisioningResult;

/**
 * Records every provisioning result in the provisioning log, then applies the quarantine rules and notes when the
 * result completed its cycle. Topic in: {@code provisioning.results} (channel {@value #CHANNEL}); out (through the
 * quarantine): {@code provisioning.job-states} and {@code provisioning.jobs}. Ack rule: acked once the record is
 * stored (idempotently, by result id) and any quarantine change is published and recorded; a record that cannot be
 * decoded is nacked and goes to {@code provisioning.results.dlq} with the reason.
 */
@ApplicationScoped
public class ResultsConsumer {

    public static final String CHANNEL = "results";
    private static final Logger LOG = Logger.getLogger(ResultsConsumer.class);

    private final ProvisioningLogRepository log;
    private final CycleRepository cycles;
    private final JobRepository jobs;
    private final Quarantine quarantine;
    private final MeterRegistry registry;

    public ResultsConsumer(ProvisioningLogRepository log, CycleRepository cycles, JobRepository jobs,
            Quarantine quarantine, MeterRegistry registry) {
        this.log = log;
        this.cycles = cycles;
        this.jobs = jobs;
        this.quarantine = quarantine;
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
        }).chain(() -> quarantine.afterResult(result)).chain(() -> finishCycle(result));
    }

    /**
     * When this result is the cycle's last, records the cycle's duration (once, whoever gets there first) and, when the
     * cycle added users to Druva or removed some, brings the next cycle forward so that group memberships follow.
     */
    private Uni<Void> finishCycle(ProvisioningResult result) {
        return cycles.counters(result.cycleId()).chain(found -> {
            if (found.isEmpty() || found.get().finishedAt() != null || !"EMITTED".equals(found.get().status())
                    || found.get().results() < found.get().eventsEmitted()) {
                return Uni.createFrom().voidItem();
            }
            OffsetDateTime started = found.get().startedAt();
            boolean followUp = found.get().managedUsersChanged();
            return cycles.finished(result.cycleId()).chain(first -> {
                if (!first) {
                    return Uni.createFrom().voidItem();
                }
                registry.timer("provisioning.detector.cycle.duration", "job", result.jobId())
                        .record(Duration.between(started, OffsetDateTime.now()));
                return followUp
                        ? jobs.followUpNow(result.jobId()).invoke(brought -> {
                            if (brought) {
                                LOG.infof("job %s: cycle %s changed which users Druva holds: the next cycle runs now "
                                        + "to update group memberships", result.jobId(), result.cycleId());
                            }
                        }).replaceWithVoid()
                        : Uni.createFrom().voidItem();
            });
        });
    }
}
