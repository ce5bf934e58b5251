package dev.provisioning.detector.cycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.job.DeletionThreshold;
import dev.provisioning.detector.job.ProvisioningJob;
import dev.provisioning.detector.persistence.JobStore;
import dev.provisioning.events.job.EncryptedSecret;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.SourceConfig;

/**
 * When the scheduler starts a due cycle: a look asked for ({@link CycleScheduler#claimNow}: the directory-file watch
 * brought a cycle forward, or a finished cycle let the next one start) while another look is under way is not lost: it
 * follows that look at once instead of waiting for the next tick (that look may have read the jobs before the job was
 * due). The database is a fake whose answers the test releases.
 */
class CycleSchedulerTest {

    /** The database's claims: each look's query waits until the test answers it. */
    private final List<CompletableFuture<List<ProvisioningJob>>> claims = new CopyOnWriteArrayList<>();
    /** The jobs whose cycles the scheduler started, in order. */
    private final List<String> started = new CopyOnWriteArrayList<>();

    private final CycleScheduler scheduler = new CycleScheduler(new JobStore(null, null, null) {
        @Override
        public Uni<List<ProvisioningJob>> claimDue(Duration lease, int limit, Duration wait) {
            CompletableFuture<List<ProvisioningJob>> answer = new CompletableFuture<>();
            claims.add(answer);
            return Uni.createFrom().completionStage(answer);
        }
    }, new CycleRunner(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null) {
        @Override
        public Uni<Void> runWhenPreviousFinished(ProvisioningJob job) {
            started.add(job.id());
            return Uni.createFrom().voidItem();
        }
    }, config(), new CycleClaiming(), new RunningCycles());

    @Test
    void aLookAskedForDuringAnotherFollowsItAtOnce() {
        scheduler.claimNow();
        assertThat(claims).hasSize(1);

        // the job becomes due while the first look's query runs: that look does not see it
        scheduler.claimNow();
        scheduler.claimNow();
        assertThat(claims).as("looks never overlap").hasSize(1);
        claims.get(0).complete(List.of());

        assertThat(claims).as("the look asked for meanwhile runs right after, once").hasSize(2);
        claims.get(1).complete(List.of(job("job-1")));
        assertThat(started).containsExactly("job-1");
        assertThat(claims).as("nothing asked for since: no further look").hasSize(2);
    }

    @Test
    void aTickDuringALookWaitsForTheNextTick() {
        scheduler.claimNow();
        scheduler.tick().await().indefinitely();
        claims.get(0).complete(List.of(job("job-1")));

        assertThat(started).containsExactly("job-1");
        assertThat(claims).as("a tick that found a look under way adds none").hasSize(1);
    }

    @Test
    void aLookThatFailsStillLetsTheNextOneRun() {
        scheduler.claimNow();
        scheduler.claimNow();
        claims.get(0).completeExceptionally(new IllegalStateException("the database is down"));

        assertThat(claims).hasSize(2);
        claims.get(1).complete(List.of(job("job-1")));
        assertThat(started).containsExactly("job-1");
    }

    private static ProvisioningJob job(String id) {
        JobConfig config = new JobConfig(1, id, "Druva", JobState.ACTIVE, "https://druva.test/scim",
                new EncryptedSecret("k1", "ciphertext"), null, false, null, true, null, null, false, null, null,
                SourceConfig.directoryFile("/tmp/directory.json"), Duration.ofMinutes(40), 0, null);
        return ProvisioningJob.create(config, new DeletionThreshold(0, 0), Instant.parse("2026-12-03T10:00:00Z"));
    }

    /** The scheduler's settings: room for 32 cycles, the production lease and claim wait. */
    private static DetectorConfig config() {
        return (DetectorConfig) Proxy.newProxyInstance(DetectorConfig.class.getClassLoader(),
                new Class<?>[]{DetectorConfig.class}, (proxy, method, args) -> {
                    return switch (method.getName()) {
                        case "maxRunningCycles" -> 32;
                        case "cycleLease" -> Duration.ofSeconds(30);
                        case "claimWait" -> Duration.ofSeconds(10);
                        default -> throw new UnsupportedOperationException(method.getName());
                    };
                });
    }
}
