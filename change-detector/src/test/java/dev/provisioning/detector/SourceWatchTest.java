package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.events;
import static dev.provisioning.detector.TestJobs.job;
import static dev.provisioning.detector.TestJobs.result;
import static dev.provisioning.detector.TestJobs.send;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.cycle.SourceWatch;
import dev.provisioning.detector.persistence.JobStore;
import dev.provisioning.detector.persistence.Outbox;
import dev.provisioning.detector.persistence.SnapshotRepository;
import dev.provisioning.detector.source.DirectoryFileSource;
import dev.provisioning.detector.source.DirectorySources;
import dev.provisioning.detector.source.graph.GraphSources;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/**
 * Issue 13 (incremental latency): a change to a job's directory file starts a cycle without waiting for the job's
 * interval (an hour here, so only the watch can start it), through the real watch, store, scheduler and cycle, up to
 * the assignment event the mapper turns into the Druva request. A file written in place is acted on only once it
 * stopped changing, so its cycle never reads it half-written. A change made before the watch first looked at the file
 * (the job was not listed yet) is acted on too: the first look compares with the version the last cycle read.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class SourceWatchTest {

    static TopicClient kafka;

    @Inject
    SourceWatch watch;
    @Inject
    GraphSources graph;
    @Inject
    DetectorConfig config;
    @Inject
    JobStore jobs;
    @Inject
    SnapshotRepository snapshots;
    @Inject
    Pool pool;
    @Inject
    Outbox outbox;
    @Inject
    MeterRegistry registry;

    @BeforeAll
    static void connect() {
        kafka = new TopicClient(LocalStackTestResource.stack().kafka().bootstrapServers());
    }

    @AfterAll
    static void disconnect() {
        kafka.close();
    }

    @Test
    void aFileReplacedByARenameStartsACycleLongBeforeTheInterval(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        String jobId = hourlyJobInDruva(file);

        renameUserZero(file);

        assertUserZeroRenamed(jobId);
    }

    @Test
    void aFileWrittenInPlaceIsActedOnOnlyOnceItStoppedChanging(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        String jobId = hourlyJobInDruva(file);

        // a slow writer that writes the new file in place, one part more before each of the watch's looks at it: the
        // file is another version at every look until it is whole
        byte[] whole = TestJobs.users(2, 2).replace("User 1", "Renamed One").getBytes(StandardCharsets.UTF_8);
        List<byte[]> parts = List.of(Arrays.copyOfRange(whole, 0, 40), Arrays.copyOfRange(whole, 40, 120),
                Arrays.copyOfRange(whole, 120, 200), Arrays.copyOfRange(whole, 200, whole.length));
        AtomicInteger written = new AtomicInteger();
        QuarkusMock.installMockForType(new DirectorySources(graph, config) {
            @Override
            public Optional<DirectoryFileSource.Version> fileVersion(JobConfig job) {
                if (job.jobId().equals(jobId) && written.get() < parts.size()) {
                    int part = written.getAndIncrement();
                    try {
                        Files.write(file, parts.get(part), part == 0
                                ? new StandardOpenOption[]{StandardOpenOption.TRUNCATE_EXISTING,
                                        StandardOpenOption.WRITE}
                                : new StandardOpenOption[]{StandardOpenOption.APPEND});
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                return super.fileVersion(job);
            }
        }, DirectorySources.class);

        AssignmentEvent renamed = events(kafka, jobId, 1,
                e -> e.objectId().equals("u1") && e.change() == ChangeKind.UPDATED).get(0);
        assertThat(renamed.attributes()).containsEntry("displayName", "Renamed One");
        assertThat(written).hasValue(parts.size());
        // no cycle read the file half-written: none failed
        List<String> statuses = given().get("/jobs/" + jobId + "/status").then().statusCode(200).extract()
                .path("recentCycles.status");
        assertThat(statuses).isNotEmpty().doesNotContain("FAILED");
        assertThat(given().get("/jobs/" + jobId + "/status").then().extract().<String>path("lastError")).isNull();
    }

    @Test
    void aChangeMadeBeforeTheWatchListedTheJobIsActedOnAtItsFirstLook(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        // the watch does not list the job until the file changed (as for a job created just before a list, or a
        // replica that starts)
        Set<String> unlisted = ConcurrentHashMap.newKeySet();
        unlisted.add(file.toString());
        QuarkusMock.installMockForType(new JobStore(pool, outbox, registry) {
            @Override
            public Uni<List<WatchedFile>> watchedFiles() {
                return super.watchedFiles()
                        .map(all -> all.stream().filter(f -> !unlisted.contains(f.path())).toList());
            }
        }, JobStore.class);
        String jobId = hourlyJob(file);
        // the first cycle stored the version of the file it read with the snapshot
        await().atMost(Waits.OUTCOME)
                .until(() -> snapshots.watermark(jobId).await().atMost(Waits.OUTCOME).sourceVersion() != null);

        renameUserZero(file);
        assertThat(watch.watches(jobId)).isFalse();
        unlisted.clear();

        assertUserZeroRenamed(jobId);
    }

    @Test
    void theWatchListsTheActiveDirectoryFileJobsWithTheirPathOnly(@TempDir Path dir) throws Exception {
        Path on = dir.resolve("on.json");
        Files.writeString(on, TestJobs.users(1, 0));
        String active = create(job(on, "On", "watch-token-" + System.nanoTime()));
        String paused = create(job(dir.resolve("off.json"), "Off", "watch-token-" + System.nanoTime()));

        List<JobStore.WatchedFile> files = jobs.watchedFiles().await().atMost(Waits.OUTCOME);
        assertThat(files).anySatisfy(f -> {
            assertThat(f.jobId()).isEqualTo(active);
            assertThat(f.path()).isEqualTo(on.toString());
        });
        assertThat(files).noneMatch(f -> f.jobId().equals(paused));
    }

    /**
     * A job with an interval of an hour whose first cycle's two users are in Druva (their results came in), and whose
     * file the watch has had its first look at.
     */
    private String hourlyJobInDruva(Path file) throws IOException {
        String jobId = hourlyJob(file);
        await().atMost(Waits.OUTCOME).until(() -> watch.watches(jobId));
        return jobId;
    }

    /** A job with an interval of an hour whose first cycle's two users are in Druva (their results came in). */
    private static String hourlyJob(Path file) throws IOException {
        Files.writeString(file, TestJobs.users(2, 2));
        Map<String, Object> hourly = new HashMap<>(job(file, "On", "watch-token-" + System.nanoTime()));
        hourly.put("cycleInterval", "PT1H");
        String jobId = create(hourly);
        for (AssignmentEvent e : events(kafka, jobId, 2, e -> true)) {
            send(kafka, result(e, ProvisioningAction.Create, ProvisioningStatus.Success, null, 201));
        }
        return jobId;
    }

    /** Replaces the file, by an atomic rename, with one in which u0 is named "Renamed Zero". */
    private static void renameUserZero(Path file) throws IOException {
        Path next = file.resolveSibling(file.getFileName() + ".next");
        Files.writeString(next, TestJobs.users(2, 2).replace("User 0", "Renamed Zero"));
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Waits for the event of u0's new name. */
    private static void assertUserZeroRenamed(String jobId) {
        AssignmentEvent renamed = events(kafka, jobId, 1,
                e -> e.objectId().equals("u0") && e.change() == ChangeKind.UPDATED).get(0);
        assertThat(renamed.attributes()).containsEntry("displayName", "Renamed Zero");
    }
}
