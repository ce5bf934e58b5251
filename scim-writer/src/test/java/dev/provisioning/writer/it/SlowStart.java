package dev.provisioning.writer.it;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.FailedExecution;
import io.quarkus.scheduler.ScheduledExecution;
import io.quarkus.scheduler.SkippedExecution;
import io.quarkus.scheduler.SuccessfulExecution;

import dev.provisioning.events.Json;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.writer.Waits;
import dev.provisioning.writer.escrow.EscrowState;
import dev.provisioning.writer.escrow.Escrowed;
import dev.provisioning.writer.persistence.EscrowStore;

/**
 * A start as slow as a loaded machine's, for {@link EscrowStartupTest} only ({@code test.slow-start=true}; inert in
 * every other test): between the scheduler's start (StartupEvent priority 0) and the wiring of the messaging channels
 * (priority 1000), it stores one deferred operation, due now, and holds the start until the scheduler has had its
 * first round of {@code EscrowScheduler#releaseDeferred} (its {@code delay} is 2 s), whatever the round did. It
 * records the rounds of {@code EscrowScheduler} and every log record that names {@code SRMSG00019}.
 */
@ApplicationScoped
public class SlowStart {

    static final List<String> ROUNDS = new CopyOnWriteArrayList<>();
    static final List<String> SRMSG00019 = new CopyOnWriteArrayList<>();
    static volatile ScimOperation deferred;
    private static final CountDownLatch FIRST_RELEASE_ROUND = new CountDownLatch(1);

    private final EscrowStore escrows;
    private final boolean enabled;

    public SlowStart(EscrowStore escrows,
            @ConfigProperty(name = "test.slow-start", defaultValue = "false") boolean enabled) {
        this.escrows = escrows;
        this.enabled = enabled;
    }

    void holdBeforeTheChannels(@Observes @Priority(500) StartupEvent event) throws InterruptedException {
        if (!enabled) {
            return;
        }
        java.util.logging.Logger.getLogger("").addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                String text = String.valueOf(record.getMessage());
                for (Throwable t = record.getThrown(); t != null; t = t.getCause()) {
                    text += " " + t;
                }
                if (text.contains("SRMSG00019")) {
                    SRMSG00019.add(text);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        String jobId = Fixtures.unique("job-slow-start");
        ScimOperation op = Fixtures.upsert(jobId, "u1", Fixtures.user(jobId + "-u1", "Slow", "Start"));
        Instant now = Instant.now();
        escrows.save(new Escrowed(Escrowed.idOf(op.jobId(), op.objectType().name(), op.objectId()), op.jobId(),
                op.objectId(), op.operationId(), Json.write(op), 0, now, now, null, null, EscrowState.DEFERRED, null,
                op.createdAt(), null, null, "https://slow-start.example.com", null)).await().atMost(Waits.OUTCOME);
        deferred = op;
        FIRST_RELEASE_ROUND.await(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
    }

    void skipped(@Observes SkippedExecution event) {
        round("skipped", event.getExecution());
    }

    void failed(@Observes FailedExecution event) {
        round("failed", event.getExecution());
    }

    void succeeded(@Observes SuccessfulExecution event) {
        round("succeeded", event.getExecution());
    }

    private void round(String outcome, ScheduledExecution execution) {
        String trigger = execution.getTrigger().getId();
        if (enabled && trigger.contains("EscrowScheduler")) {
            ROUNDS.add(trigger.substring(trigger.indexOf('#') + 1) + " " + outcome);
            if (trigger.endsWith("#releaseDeferred")) {
                FIRST_RELEASE_ROUND.countDown();
            }
        }
    }
}
