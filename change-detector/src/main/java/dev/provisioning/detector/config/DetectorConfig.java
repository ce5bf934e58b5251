package dev.provisioning.detector.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The change-detector's configuration, under {@code detector.*}. */
@ConfigMapping(prefix = "detector")
public interface DetectorConfig {

    /**
     * How often each replica looks for jobs whose cycle is due (one indexed {@code UPDATE ... LIMIT} per tick), and how
     * long a cycle held back by its predecessor's results waits before it looks again. Quarkus runs scheduled methods
     * at most once a second, so a shorter tick acts as {@code 1s}; a cycle brought forward by the directory-file watch
     * is claimed at once on the replica that saw the change. Default {@code 1s}.
     */
    @WithDefault("1s")
    Duration schedulerTick();

    /**
     * How long a look for due cycles waits for the database's answer ({@code cycle.CycleScheduler}): a claim unanswered
     * by then counts as a failed look ({@code cycle.CycleClaiming}: readiness is down after 3 in a row) and the next
     * tick looks again, so that a statement the database never answers does not hold every later look back. Default
     * {@code 10s}; the tests set {@code 2s}, so that their unanswered claims are given up sooner.
     */
    @WithDefault("10s")
    Duration claimWait();

    /**
     * The shortest cycle interval a job may have: a job whose {@code cycleInterval} is shorter is refused (400 naming
     * the field). Default {@code 5s}; the tests set {@code 1s}, so that those that wait for a job's next cycles do not
     * wait 5 s for each.
     */
    @WithDefault("5s")
    Duration minCycleInterval();

    /**
     * Rows of a job's snapshot written by one statement ({@code persistence.SnapshotRepository}): a cycle's changes
     * are written in statements of at most this many rows, one after the other in one transaction, so that neither the
     * statement's parameters on the heap nor its encoded message (PostgreSQL's client encodes a whole statement into one
     * native buffer, about 150 bytes a row) grow with the directory: a 100,000-user first cycle wrote one 15 MB
     * statement (issue 13). Default {@code 2000}; the tests set a few rows, so that their writes take several
     * statements.
     */
    @WithDefault("2000")
    int snapshotRowsPerStatement();

    /** Assignment events sent to Kafka concurrently while a cycle emits (each awaits the broker's ack). Default 256. */
    @WithDefault("256")
    int emitConcurrency();

    /**
     * The lease of a claim on a job's cycle: the replica running the cycle renews its claim every third of it (a
     * heartbeat while it reads and emits); a claim not renewed for this long belongs to a replica that died and is
     * taken over, so an interrupted cycle resumes within about this time. Default {@code 30s}.
     */
    @WithDefault("30s")
    Duration cycleLease();

    /**
     * How long a cycle that emitted waits for its results before the next cycle may start anyway (cycles do not
     * overlap; every operation yields a result within minutes, so this only matters when a service is down). Default
     * {@code 15m}.
     */
    @WithDefault("15m")
    Duration resultsWait();

    /**
     * How many cycles of different jobs one replica runs at once. Cycles run independently of each other (one job's
     * slow source or Graph backoff, which holds no thread, never delays another's start); this bounds the memory of
     * the sources read at once. Default 32.
     */
    @WithDefault("32")
    int maxRunningCycles();

    /**
     * Cycles in a row that fail before sending anything (an unreadable source, an invalid directory file) after which
     * the job is quarantined ({@code EncounteredQuarantineException}) with an email; 0 never. Default 3.
     */
    @WithDefault("3")
    int quarantineAfterFailedCycles();

    /**
     * The directory under which every directory file must resolve (after symbolic links), when set: a file outside it
     * is refused at read time without saying whether it exists. Default none (any path).
     */
    Optional<Path> directoryRoot();

    /** Directory file reading. */
    DirectoryFile directoryFile();

    /**
     * Whether a job's tenant URL and Graph URLs may use plain http to a loopback host (localhost, 127.0.0.0/8, ::1);
     * every other URL must be https ({@code SecureUrls}). Default false; the run command and the tests, whose SCIM and
     * Graph servers listen on loopback without TLS, set it.
     */
    @WithDefault("false")
    boolean allowInsecureLoopback();

    /** The snapshots this replica keeps in memory between a job's cycles. */
    SnapshotCacheLimits snapshotCache();

    /** How the results consumer retries while the database fails. */
    Results results();

    /**
     * The results consumer's retries while the database fails or does not answer ({@code cycle.ResultsConsumer}),
     * under {@code detector.results.*}. The poll stays unacked while they last, for as long as the failure lasts.
     */
    interface Results {

        /**
         * The wait before the first retry of recording or judging a poll's results; doubled (with jitter) for each
         * further failure in a row, up to {@link #retryMax()}. Default {@code 1s}; the tests set {@code 100ms}.
         */
        @WithDefault("1s")
        Duration retryFirst();

        /** The longest wait between two retries. Default {@code 30s}; the tests set {@code 1s}. */
        @WithDefault("30s")
        Duration retryMax();

        /**
         * How long one attempt to judge a job's results may take (a load, a save and up to 5 s waiting for its events'
         * publication, per step) before it counts as failed and is retried: a statement the database never answers
         * (PostgreSQL client 4.5 leaves a statement refused with SQLSTATE 57P01 at ERROR severity unanswered) must
         * not hold the poll, and with it the channel, for ever. Default {@code 30s}; the tests set {@code 10s}.
         */
        @WithDefault("30s")
        Duration judgeAttemptTimeout();
    }

    /**
     * The bounds of the snapshots kept in memory between cycles ({@code cycle.SnapshotCache}), under
     * {@code detector.snapshot-cache.*}.
     */
    interface SnapshotCacheLimits {

        /**
         * Objects (users and groups) kept in all snapshots together; the least recently used snapshot is dropped to
         * make room, and a snapshot larger than this is never kept. 0 keeps none (every cycle loads its snapshot).
         * About 250 bytes of heap each. Default {@code 250000}.
         */
        @WithDefault("250000")
        long maxObjects();

        /**
         * A job's snapshot not used by a cycle for this long is dropped (its cycles run on another replica now, or
         * seldom). Default {@code 15m}.
         */
        @WithDefault("15m")
        Duration idle();
    }

    /** Directory file reading, under {@code detector.directory-file.*}. */
    interface DirectoryFile {

        /** A directory file larger than this fails the cycle (100,000 users take about 40 MB). Default {@code 256M}. */
        @WithDefault("256M")
        MemorySize maxSize();

        /**
         * How often each replica looks at the file of every ACTIVE directory-file job (one {@code stat}: size,
         * modification time, file key; never a read; some microseconds per job and look). When the file is another
         * version than at the look before, and the same on two looks in a row (so that a file being written in place is
         * not read half-written), the job's next cycle is brought forward to now ({@code ProvisioningJob.sourceChanged}):
         * a change to the file starts a cycle within about two of these intervals, and the job's cycle interval stays
         * the upper bound. A file replaced by a rename is whole at once; a writer that writes the file in place and
         * pauses for longer than this interval part-way may have it read half-written, which fails that cycle (retried
         * after {@code detector.source-error-retry}): write to another name and rename, or lengthen the interval.
         * Default {@code 100ms} (issue 13: the watch's delay is part of the change-to-Druva latency; it was 500 ms, a
         * delay of 0.5 to 1 s).
         */
        @WithDefault("100ms")
        Duration watchInterval();
    }

    /**
     * How long to wait before retrying a cycle whose source could not be read; doubled for each further failure in a
     * row, up to the job's interval. Default {@code 1m}.
     */
    @WithDefault("1m")
    Duration sourceErrorRetry();

    /** Base URL of the scim-writer, for test connection and provision on demand. Default {@code http://localhost:8083}. */
    @WithDefault("http://localhost:8083")
    String writerUrl();

    /** How long a call to the scim-writer may take. Default {@code 30s}. */
    @WithDefault("30s")
    Duration writerTimeout();

    /**
     * Provisioning log records, audit log entries and finished cycles older than this are purged. Default
     * {@code 30d}.
     */
    @WithDefault("30d")
    Duration logRetention();

    /** While a job is quarantined, its cycles run at most this often (Entra: once a day). Default {@code 24h}. */
    @WithDefault("24h")
    Duration quarantineInterval();

    /**
     * Offsets, from entering quarantine, of a quarantined job's first cycles, increasing; after the last of them the
     * cycles run every {@code quarantine-interval}. Default none: every {@code quarantine-interval} from the start.
     * Entra's schedule is {@code 6h,12h,24h}.
     */
    Optional<List<Duration>> quarantineRetries();

    /** How long a Druva secret token is valid after it is set (Druva: 365 days). Default {@code 365d}. */
    @WithDefault("365d")
    Duration tokenLifetime();

    /** How long before the token expires TOKEN_EXPIRING is published (once per token). Default {@code 30d}. */
    @WithDefault("30d")
    Duration tokenExpiryWarning();

    /** How often the outbox relay looks for job events that other replicas or failed passes left. Default {@code 1s}. */
    @WithDefault("1s")
    Duration outboxInterval();

    /** How often the log purge, the token expiry check and the metric gauges run. Default {@code 1m}. */
    @WithDefault("1m")
    Duration housekeepingInterval();
}
