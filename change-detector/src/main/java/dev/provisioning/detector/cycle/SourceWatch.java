package dev.provisioning.detector.cycle;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.detector.job.ProvisioningJob;
import dev.provisioning.detector.persistence.JobStore;
import dev.provisioning.detector.source.DirectoryFileSource;
import dev.provisioning.detector.source.DirectorySources;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.SourceConfig;

/**
 * Brings a directory-file job's next cycle forward when its file changes, so that a change reaches Druva within about
 * a second instead of waiting for the job's cycle interval (which stays the upper bound: a change this watch misses is
 * found by the next periodic cycle).
 *
 * <p>
 * Every {@code detector.directory-file.watch-interval} (default 100 ms), on its own thread, it looks at the file of
 * every ACTIVE directory-file job ({@link DirectorySources#fileVersion}: one {@code stat} under the same directory-root
 * checks as a read; the file is never read here). A file that shows another {@link DirectoryFileSource.Version} (size,
 * modification time, file key) than the one this replica last acted on, and the same version on two looks in a row, is
 * a change: a writer that writes the file in place is not acted on half-way (a rename is a new version at once, and
 * stable). Then {@link ProvisioningJob#sourceChanged} is saved through {@link JobStore#update}: the job row is the one
 * truth shared by the replicas, and a change that another replica already brought forward writes nothing. When this
 * replica brought a cycle forward it looks for due cycles at once ({@link CycleScheduler#claimNow}) instead of at the
 * next tick.
 *
 * <p>
 * The jobs are listed again every {@value #LIST_EVERY_SECONDS} s ({@link JobStore#watchedFiles}: id, path and the
 * version the job's snapshot reflects, no configuration parsed). A job's first look here (a new job, a start, a new
 * path, a replica that starts) compares the file with the version its last cycle read, looked at before that read
 * ({@link #version}, stored with the snapshot by the cycle that moved it): a change made since, even before the job was
 * listed here, is acted on as any other (once two looks agree). Without such a version (no cycle read the file yet, or
 * its snapshot was cleared) the first look only notes the version: the job's next cycle is due anyway. Graph jobs are
 * not watched.
 */
@ApplicationScoped
public class SourceWatch {

    /** How often the list of watched jobs is read again. */
    static final long LIST_EVERY_SECONDS = 10;
    /** How long one database call of the watch may take before the look gives up (tried again at the next look). */
    static final Duration CALL_WAIT = Duration.ofSeconds(30);

    private static final Logger LOG = Logger.getLogger(SourceWatch.class);

    private final JobStore jobs;
    private final DirectorySources sources;
    private final CycleScheduler scheduler;
    private final Duration interval;
    /** The watched jobs' files, by job id, as last listed; only the watch's thread uses it. */
    private final Map<String, Watched> files = new HashMap<>();
    /** What the looks found, by job id (read by {@link #watches} from other threads). */
    private final Map<String, Looked> looked = new ConcurrentHashMap<>();
    private long listedAt;
    private ScheduledExecutorService thread;

    /**
     * What the looks at one job's file found, as {@link #version}s (null: the file could not be read).
     *
     * @param path the file looked at
     * @param last the version the last look found
     * @param actedOn the version this replica last acted on; at first the version the job's last cycle read, or when
     *        that is unknown the first look's
     */
    private record Looked(String path, String last, String actedOn) {
    }

    /**
     * A listed job's file.
     *
     * @param file as listed
     * @param source the job as {@link DirectorySources#fileVersion} reads it: its id and its source only
     */
    private record Watched(JobStore.WatchedFile file, JobConfig source) {

        Watched(JobStore.WatchedFile file) {
            this(file, new JobConfig(JobConfig.SCHEMA_VERSION, file.jobId(), null, JobState.ACTIVE, null, null, null,
                    false, null, false, null, null, false, null, null, SourceConfig.directoryFile(file.path()), null, 0,
                    null));
        }
    }

    public SourceWatch(JobStore jobs, DirectorySources sources, CycleScheduler scheduler, DetectorConfig config) {
        this.jobs = jobs;
        this.sources = sources;
        this.scheduler = scheduler;
        this.interval = config.directoryFile().watchInterval();
    }

    void start(@Observes StartupEvent started) {
        if (interval.isZero() || interval.isNegative()) {
            LOG.infof("the directory-file watch is off (detector.directory-file.watch-interval=%s)", interval);
            return;
        }
        thread = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread t = new Thread(task, "directory-file-watch");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(this::look, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (thread != null) {
            thread.shutdownNow();
        }
    }

    /**
     * A file version as stored with the snapshot and compared by the watch: size, modification time and file key;
     * null when the file could not be read. Equal versions are equal strings on one host (the file key names the
     * device and inode: another host may see another key, and then its first look brings one cycle forward).
     */
    static String version(Optional<DirectoryFileSource.Version> version) {
        return version.map(v -> v.size() + " bytes, modified " + v.modified() + ", file " + v.fileKey())
                .orElse(null);
    }

    /** Whether the job's file has had its first look on this replica (changes from then on are acted on). */
    public boolean watches(String jobId) {
        return looked.containsKey(jobId);
    }

    /** One look at every watched file. Never fails (a failure is logged; the next look tries again). */
    void look() {
        try {
            listIfDue();
            boolean broughtForward = false;
            for (Watched file : files.values()) {
                broughtForward |= look(file);
            }
            if (broughtForward) {
                scheduler.claimNow();
            }
        } catch (RuntimeException e) {
            LOG.warnf("the directory-file watch failed (it looks again in %s): %s", interval, e.toString());
        }
    }

    /** @return whether the job's next cycle was brought forward */
    private boolean look(Watched file) {
        String jobId = file.file().jobId();
        String path = file.file().path();
        String version = version(sources.fileVersion(file.source()));
        Looked before = looked.get(jobId);
        if (before == null || !before.path().equals(path)) {
            String read = file.file().sourceVersion();
            looked.put(jobId, new Looked(path, version, read == null ? version : read));
            return false;
        }
        if (!Objects.equals(version, before.last()) || Objects.equals(version, before.actedOn())) {
            // changing (or just changed: acted on once it looks the same twice), or nothing new
            looked.put(jobId, new Looked(path, version, before.actedOn()));
            return false;
        }
        boolean broughtForward;
        try {
            broughtForward = jobs.update(jobId, job -> job.sourceChanged(Instant.now())).await().atMost(CALL_WAIT)
                    .orElse(false);
        } catch (RuntimeException e) {
            // not acted on: the next look tries again
            LOG.warnf("job %s: its directory file changed, but the next cycle could not be brought forward (tried "
                    + "again at the next look): %s", jobId, e.toString());
            return false;
        }
        LOG.debugf("job %s: its directory file changed; %s", jobId,
                broughtForward ? "the next cycle runs now" : "a cycle is due already, or the job is not on");
        looked.put(jobId, new Looked(path, version, version));
        return broughtForward;
    }

    /** Lists the ACTIVE directory-file jobs again when the last list is older than {@value #LIST_EVERY_SECONDS} s. */
    private void listIfDue() {
        long now = System.nanoTime();
        if (listedAt != 0 && now - listedAt < TimeUnit.SECONDS.toNanos(LIST_EVERY_SECONDS)) {
            return;
        }
        files.clear();
        for (JobStore.WatchedFile file : jobs.watchedFiles().await().atMost(CALL_WAIT)) {
            files.put(file.jobId(), new Watched(file));
        }
        looked.keySet().retainAll(files.keySet());
        listedAt = now == 0 ? 1 : now;
    }
}
