package dev.provisioning.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.bench.BenchOptions.Scenario;
import dev.provisioning.demo.JobsClient;
import dev.provisioning.demo.LocalSystem;
import dev.provisioning.demo.ServiceProcess;
import dev.provisioning.druva.DruvaGroup;
import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.druva.DruvaUser;
import dev.provisioning.druva.RecordedRequest;
import dev.provisioning.localstack.LocalPostgres;

/**
 * Runs the scenarios against one running system, in a fixed order that keeps restarts few: a warm-up sync; the
 * unlimited initial syncs (each followed by its Kafka baseline); the incremental changes on the largest of those
 * tenants; faults; two replicas of the mapper and the writer, unlimited then limited; the limited initial sync with one
 * replica; isolation (ten jobs, each with a rate-limited tenant of its own: {@link Isolation}). Each scenario starts from an empty Druva-compatible server (the incremental one excepted, which continues
 * the largest tenant) and pauses its job when it is done, so no earlier job works during a later scenario.
 */
final class Benchmark {

    /** The services, in report order. */
    static final List<String> SERVICES = List.of("change-detector", "mapper-service", "scim-writer", "notifier");

    /**
     * The writer's tenant budget for the unlimited scenarios, as the issue measured it: the rate limit lifted, 64
     * requests in flight.
     */
    static final Map<String, String> WRITER_UNLIMITED = Map.of("WRITER_RATE_LIMIT_PER_SECOND", "100000",
            "WRITER_RATE_LIMIT_MAX_IN_FLIGHT", "64");

    /**
     * The escrow schedule in seconds instead of Entra's hours, so an object that still fails after the writer's
     * in-request retries (the faults scenario: 0.3^6 of them) is retried within the scenario. Deployments keep the
     * default.
     */
    static final Map<String, String> SHORT_ESCROW = Map.of("WRITER_ESCROW_SCHEDULE", "5s,10s,20s",
            "WRITER_ESCROW_THEN_EVERY", "30s", "WRITER_ESCROW_POLL_INTERVAL", "1s");

    /**
     * The quick variant's escrow schedule: shorter still, its faults scenario lasts seconds. Polled every second, the
     * shortest interval Quarkus's scheduler supports without a WARN at the writer's start.
     */
    static final Map<String, String> QUICK_ESCROW = Map.of("WRITER_ESCROW_SCHEDULE", "1s,2s,4s",
            "WRITER_ESCROW_THEN_EVERY", "5s", "WRITER_ESCROW_POLL_INTERVAL", "1s");

    /**
     * The quick variant's longest in-request back-off: 2 s instead of a minute. The faults scenario answers 30 % of
     * requests 500/503; a request that fails six times in a row waited up to 32 s (exponential back-off with jitter)
     * while the other 199 users were done (2026-12-02: 28 of the scenario's 36 s). Deployments and the full run keep
     * the default: its figures are the measurement.
     */
    static final Map<String, String> QUICK_RETRY = Map.of("WRITER_RETRY_MAX_DELAY", "2s");

    private static final String MAPPER = "mapper-service";
    private static final String WRITER = "scim-writer";

    private final BenchOptions options;
    private final PrintStream out;
    private final Path output;
    private final List<ScenarioResult> results = new ArrayList<>();
    private final Map<String, Object> run = new LinkedHashMap<>();
    private LocalSystem system;
    private Profiler profiler;
    private KafkaBaseline baseline;
    private long postmaster;
    private double writerRate = Double.NaN;
    private final long benchStarted = System.nanoTime();
    /** The tenant an initial sync left on for the incremental scenario. */
    private Tenant kept;
    private Isolation.Result isolation;

    /** A tenant whose job outlives its scenario: the incremental scenario continues the largest initial sync. */
    private record Tenant(String name, BenchDirectory directory, Path file, String jobId, Map<String, Object> job,
            Set<String> held) {
    }

    /** A scenario cannot go on (timed out or failed): the remaining ones do not run. */
    static final class Aborted extends RuntimeException {
        Aborted(String message) {
            super(message);
        }
    }

    Benchmark(BenchOptions options, PrintStream out, Path output) {
        this.options = options;
        this.out = out;
        this.output = output;
    }

    /** The run's figures so far (also when it failed half-way). */
    List<ScenarioResult> results() {
        return List.copyOf(results);
    }

    /** The run's setup (JVM flags, settings, start-up time, warm-up). */
    Map<String, Object> run() {
        return run;
    }

    /** Starts the system, runs the scenarios, stops the system. */
    void execute() {
        Path home = LocalSystem.findHome();
        Map<String, String> environment = new LinkedHashMap<>(WRITER_UNLIMITED);
        environment.putAll(options.quick() ? QUICK_ESCROW : SHORT_ESCROW);
        if (options.quick()) {
            environment.putAll(QUICK_RETRY);
        }
        // confined like a deployment (detector.directory-root): the generated directories are the only files it reads
        Path directories = output.resolve("directories").toAbsolutePath().normalize();
        try {
            Files.createDirectories(directories);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + directories, e);
        }
        environment.put("DETECTOR_DIRECTORY_ROOT", directories.toString());
        LocalSystem.Options systemOptions = LocalSystem.Options.defaults().partitions(4)
                .jvmOptions(options.jvmOptions()).environment(environment);
        for (var e : options.serviceJvmOptions().entrySet()) {
            systemOptions = systemOptions.serviceJvmOptions(e.getKey(), e.getValue());
        }
        run.put("jvmOptions", systemOptions.jvmOptions());
        run.put("serviceJvmOptions", systemOptions.serviceJvmOptions());
        run.put("serviceEnvironment", environment);
        run.put("partitions", systemOptions.partitions());
        out.printf("Starting Kafka, PostgreSQL, SMTP, the Druva-compatible server and the four services (%s)...%n",
                String.join(" ", systemOptions.jvmOptions()));
        system = LocalSystem.start(home, output.resolve("logs"), systemOptions);
        writerRate = Double.parseDouble(WRITER_UNLIMITED.get("WRITER_RATE_LIMIT_PER_SECOND"));
        try {
            run.put("startSeconds", round((System.nanoTime() - benchStarted) / 1e9));
            out.printf("%s ready%n", clock());
            postmaster = postmasterPid(system.stack().postgres());
            baseline = new KafkaBaseline(system.stack().kafka().bootstrapServers());
            profiler = options.jfr() ? new Profiler(output.resolve("jfr")) : null;
            scenarios();
        } finally {
            out.printf("%s stopping the system%n", clock());
            system.close();
        }
    }

    private void scenarios() {
        if (options.warmupUsers() > 0) {
            out.printf("%nWarm-up: %d users (not reported)%n", options.warmupUsers());
            ScenarioResult warmup = initial("warmup", "warmup", options.warmupUsers(), s -> s, false, false);
            run.put("warmupSeconds", warmup.seconds());
            if (!warmup.ok()) {
                results.add(warmup);
                throw new Aborted("the warm-up did not complete: " + warmup.error());
            }
        }
        Tenant largest = null;
        if (options.runs(Scenario.INITIAL_UNLIMITED) || options.runs(Scenario.INCREMENTAL)) {
            List<Integer> sizes = options.runs(Scenario.INITIAL_UNLIMITED)
                    ? options.users()
                    : List.of(options.users().get(options.users().size() - 1));
            for (int i = 0; i < sizes.size(); i++) {
                boolean last = i == sizes.size() - 1;
                boolean keep = last && options.runs(Scenario.INCREMENTAL);
                ScenarioResult r = initial("initial-unlimited-" + sizes.get(i), "initial-unlimited", sizes.get(i),
                        s -> s, true, keep);
                if (keep) {
                    largest = kept;
                }
                if (!options.runs(Scenario.INITIAL_UNLIMITED)) {
                    continue; // only the tenant the incremental scenario needs
                }
                add(r);
            }
        }
        if (options.runs(Scenario.INCREMENTAL)) {
            add(incremental(largest));
        }
        if (options.runs(Scenario.FAULTS)) {
            int n = options.faultsSize();
            ScenarioResult r = initial("faults-" + n, "faults", n,
                    s -> s.serverErrorRatio(options.serverErrorRatio())
                            .throttleBursts(options.burstEvery(), options.burstLength()),
                    false, false);
            add(compare(r, "initial-unlimited-" + n, true));
        }
        if (options.runs(Scenario.REPLICAS)) {
            replicas(2);
            int n = options.replicasSize();
            add(compare(initial("replicas-" + n, "replicas", n, s -> s, false, false), "initial-unlimited-" + n,
                    false));
            writerBudget(options.limitPerSecond());
            add(initial("replicas-limited-" + options.replicasLimitedUsers(), "replicas-limited",
                    options.replicasLimitedUsers(), this::limited, false, false));
            replicas(1);
        }
        if (options.runs(Scenario.INITIAL_LIMITED)) {
            writerBudget(options.limitPerSecond());
            add(initial("initial-limited-" + options.limitedUsers(), "initial-limited", options.limitedUsers(),
                    this::limited, false, false));
        }
        if (options.runs(Scenario.ISOLATION)) {
            writerBudget(options.isolationRate());
            isolation = new Isolation(system, options, out, output.resolve("directories").toAbsolutePath()
                    .normalize(), this::participants, this::clock).run();
            if (!isolation.ok()) {
                throw new Aborted("isolation " + isolation.status() + ": " + isolation.error());
            }
        }
    }

    /** The isolation scenario's figures (null when it did not run). */
    Isolation.Result isolation() {
        return isolation;
    }

    private DruvaScimServer.Options limited(DruvaScimServer.Options s) {
        return s.rateLimitPerSecond(options.limitPerSecond()).latency(options.limitLatency());
    }

    private void add(ScenarioResult result) {
        results.add(result);
        if (result.status().equals("timed-out") || result.status().equals("failed")) {
            throw new Aborted(result.name() + " " + result.status() + ": " + result.error());
        }
    }

    /**
     * An initial sync of a fresh directory into an empty Druva-compatible server.
     *
     * @param druvaSettings changes to the server's defaults (latency, rate limit, faults)
     * @param withBaseline also run the Kafka baseline for the scenario's records
     * @param keep leave the job on (as {@link #kept}) for the incremental scenario
     */
    private ScenarioResult initial(String name, String kind, int users,
            UnaryOperator<DruvaScimServer.Options> druvaSettings, boolean withBaseline, boolean keep) {
        out.printf("%n%s %s: %d users%n", clock(), name, users);
        DruvaScimServer druva = system.druva();
        druva.reset();
        DruvaScimServer.Options settings = druva
                .settings(s -> druvaSettings.apply(DruvaScimServer.Options.defaults().token(s.token())));
        String tenant = name.replaceAll("[^a-z0-9-]", "");
        BenchDirectory directory = BenchDirectory.generate(tenant, users, options.groups(), options.seed());
        Path file = output.resolve("directories").resolve(name + ".json");
        directory.write(file);
        StateDiff.Expected expected = StateDiff.Expected.of(directory, Set.of());
        Map<TopicPartition, Long> offsetsBefore = withBaseline ? baseline.endOffsets() : null;

        Map<String, Object> job = job(name, file, "PT1M");
        UsageMeter meter = new UsageMeter(participants());
        startProfile(name);
        meter.start();
        long started = System.nanoTime();
        String jobId = system.jobs().create(job);
        Outcome outcome = awaitState(jobId, started, expected, options.timeoutFor(users));
        meter.stop();
        if (keep && outcome.status().equals("ok")) {
            // the incremental scenario continues this job: let a follow-up cycle that is due run first
            settle(jobId);
            kept = new Tenant(name, directory, file, jobId, job, StateDiff.Expected.heldIds(directory, Set.of()));
        } else {
            pause(jobId); // a follow-up cycle that is due does not start; Druva already holds everything
        }
        Map<String, Profiler.Profile> profiles = stopProfile();
        JsonNode status = system.jobs().status(jobId);
        List<Map<String, Object>> cycles = cycles(status);
        long objects = cycles.isEmpty()
                ? directory.objects()
                : ((Number) cycles.get(0).get("eventsEmitted")).longValue();
        ScenarioResult.Baseline base = null;
        if (withBaseline && outcome.status().equals("ok")) {
            out.println("  Kafka baseline: the same records through the same broker...");
            KafkaBaseline.Result kafka = baseline.run(baseline.loads(offsetsBefore, baseline.endOffsets()),
                    system.options().partitions());
            double pipelineCpu = meter.usage().values().stream().mapToDouble(UsageMeter.Usage::cpuSeconds).sum();
            base = new ScenarioResult.Baseline(kafka, round(outcome.seconds() / kafka.seconds()),
                    round(pipelineCpu / Math.max(0.001, kafka.launcherCpuSeconds())));
            out.printf("  baseline: %d records (%d consumed) in %.1f s: the pipeline took %.1f times as long%n",
                    kafka.records(), kafka.consumed(), kafka.seconds(), base.secondsRatio());
        }
        Map<String, Object> scenarioSettings = settings(settings);
        scenarioSettings.put("cycleInterval", "PT1M");
        return result(name, kind, outcome, scenarioSettings, directory.shape(), objects, expected, meter, null, base,
                cycles, profiles);
    }

    /** The changes of the incremental scenario, on the tenant the largest initial sync left. */
    private ScenarioResult incremental(Tenant tenant) {
        if (tenant == null) {
            throw new Aborted("the incremental scenario needs the largest initial sync, which did not complete");
        }
        String name = "incremental-" + tenant.directory().users().size();
        out.printf("%n%s %s: %.0f changes/s for %d s, cycle interval %s%n", clock(), name, options.changesPerSecond(),
                options.changesDuration().toSeconds(), options.incrementalInterval());
        DruvaScimServer druva = system.druva();
        JobsClient jobs = system.jobs();
        Map<String, Object> job = new LinkedHashMap<>(tenant.job());
        job.remove("secretToken"); // kept as it is
        job.put("cycleInterval", options.incrementalInterval().toString());
        String before = currentCycleId(jobs.status(tenant.jobId()));
        jobs.update(tenant.jobId(), job);
        jobs.start(tenant.jobId()); // the next cycle now (nothing changed): later ones follow the interval
        awaitCycleAfter(tenant.jobId(), before);

        int logStart = druva.requests().size();
        Map<String, String> ids = new LinkedHashMap<>();
        druva.users().forEach(u -> ids.put(u.userName().toLowerCase(Locale.ROOT), u.id()));
        UsageMeter meter = new UsageMeter(participants());
        startProfile(name);
        meter.start();
        long started = System.nanoTime();
        List<ChangeStream.Change> changes = new ChangeStream(tenant.directory(), tenant.file(), tenant.held())
                .run(options.changesPerSecond(), options.changesDuration());
        StateDiff.Expected expected = StateDiff.Expected.of(tenant.directory(), tenant.held());
        out.printf("  %d changes made; waiting for Druva to hold them%n", changes.size());
        Duration timeout = options.timeoutFor(0);
        long deadline = System.nanoTime() + timeout.toNanos();
        ChangeStream.Delivery delivery;
        Outcome outcome = null;
        while (true) {
            List<RecordedRequest> log = druva.requests();
            delivery = ChangeStream.delivery(changes, ids, log.subList(logStart, log.size()));
            if (delivery.undelivered().isEmpty()) {
                Outcome state = awaitState(tenant.jobId(), started, expected,
                        Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                outcome = state;
                break;
            }
            if (System.nanoTime() > deadline) {
                outcome = new Outcome("timed-out", (System.nanoTime() - started) / 1e9, delivery.undelivered().size()
                        + " of " + changes.size() + " changes did not reach Druva within " + timeout);
                break;
            }
            pause(Duration.ofSeconds(2));
        }
        meter.stop();
        pause(tenant.jobId());
        Map<String, Profiler.Profile> profiles = stopProfile();
        List<RecordedRequest> log = druva.requests();
        delivery = ChangeStream.delivery(changes, ids, log.subList(logStart, log.size()));
        Map<String, Integer> byKind = new TreeMap<>();
        changes.forEach(c -> byKind.merge(c.kind().name(), 1, Integer::sum));
        ScenarioResult.Latency latency = new ScenarioResult.Latency(changes.size(), delivery.latencies().size(),
                round(changes.size() / (double) Math.max(1, options.changesDuration().toSeconds())), byKind,
                round(delivery.percentile(0.5)), round(delivery.percentile(0.9)), round(delivery.percentile(0.99)),
                round(delivery.percentile(1.0)),
                delivery.undelivered().stream().limit(10).map(c -> c.kind() + " " + c.userName()).toList());
        out.printf("  change to Druva: p50 %.0f ms, p99 %.0f ms (%d of %d delivered)%n",
                nullToNaN(latency.p50Ms()), nullToNaN(latency.p99Ms()), latency.delivered(), latency.changes());
        Map<String, Object> settings = settings(druva.settings());
        settings.put("cycleInterval", options.incrementalInterval().toString());
        settings.put("changesPerSecond", options.changesPerSecond());
        settings.put("changesDuration", options.changesDuration().toString());
        return result(name, "incremental", outcome, settings, tenant.directory().shape(), changes.size(), expected,
                meter, latency, null, cycles(system.jobs().status(tenant.jobId())), profiles, log.subList(logStart,
                        log.size()));
    }

    /**
     * The outcome of waiting for Druva's state.
     *
     * @param seconds from the start to the moment Druva held the expected state (or the system went quiet, or the
     *        timeout)
     */
    private record Outcome(String status, double seconds, String error) {
    }

    /**
     * Waits until Druva holds as many users and memberships as expected and the job's current cycle is complete; or
     * until the system is quiet (cycle complete, nothing escrowed, no request for a while) with a difference left; or
     * the timeout. Druva's state is read in-process (cheap); the job's status only when the state looks complete, and
     * every few seconds to notice a failed cycle.
     */
    private Outcome awaitState(String jobId, long started, StateDiff.Expected expected, Duration timeout) {
        DruvaScimServer druva = system.druva();
        long deadline = System.nanoTime() + timeout.toNanos();
        int expectedMemberships = expected.memberships();
        int expectedUsers = expected.users().size();
        long nextStatus = 0;
        long nextProgress = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int lastRequests = -1;
        long quietSince = System.nanoTime();
        Duration quiet = options.quick() ? Duration.ofSeconds(10) : Duration.ofSeconds(30);
        while (true) {
            long now = System.nanoTime();
            int memberships = druva.groups().stream().mapToInt(g -> g.memberIds().size()).sum();
            boolean looksDone = memberships == expectedMemberships && druva.users().size() == expectedUsers;
            if (looksDone || now >= nextStatus) {
                JsonNode status = system.jobs().status(jobId);
                JsonNode current = status.path("currentCycle");
                String state = current.path("status").asText();
                if (state.equals("FAILED")) {
                    return new Outcome("failed", seconds(started), "cycle failed: " + current.path("error").asText());
                }
                if (status.path("state").asText().equals("QUARANTINED")) {
                    return new Outcome("failed", seconds(started),
                            "the job was quarantined: " + status.path("quarantine"));
                }
                boolean complete = state.equals("COMPLETED");
                if (looksDone && complete) {
                    double seconds = seconds(started);
                    out.printf("  done in %.1f s%n", seconds);
                    return new Outcome("ok", seconds, null);
                }
                if (now >= nextStatus) {
                    nextStatus = now + TimeUnit.SECONDS.toNanos(5);
                    // the request log is copied only when the cycle is complete: not while the work flows
                    boolean idle = complete && status.path("escrowedObjects").asLong(0) == 0
                            && !nextCycleDue(status);
                    int requests = idle ? druva.requests().size() : -1;
                    if (!idle || requests != lastRequests) {
                        lastRequests = requests;
                        quietSince = now;
                    } else if (now - quietSince > quiet.toNanos()) {
                        double seconds = seconds(started);
                        return new Outcome("incomplete", seconds, "the system went quiet with Druva holding "
                                + druva.users().size() + " of " + expectedUsers + " users and " + memberships + " of "
                                + expectedMemberships + " memberships");
                    }
                }
            }
            if (now >= nextProgress) {
                nextProgress = now + TimeUnit.SECONDS.toNanos(10);
                out.printf("  %.0f s: Druva holds %d of %d users, %d of %d memberships%n", seconds(started),
                        druva.users().size(), expectedUsers, memberships, expectedMemberships);
            }
            if (now > deadline) {
                return new Outcome("timed-out", seconds(started), "Druva held " + druva.users().size() + " of "
                        + expectedUsers + " users and " + memberships + " of " + expectedMemberships
                        + " memberships after " + timeout);
            }
            pause(Duration.ofMillis(250));
        }
    }

    /** Whether a cycle is due now (a follow-up cycle about to start). */
    private static boolean nextCycleDue(JsonNode status) {
        String next = status.path("nextCycleAt").asText(null);
        return next != null && !next.isEmpty()
                && OffsetDateTime.parse(next).toInstant().isBefore(Instant.now().plusSeconds(1));
    }

    /** Waits (up to 2 minutes) until the job's cycle is complete and no follow-up cycle is about to start. */
    private void settle(String jobId) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        String previous = null;
        while (System.nanoTime() < deadline) {
            JsonNode status = system.jobs().status(jobId);
            String id = currentCycleId(status);
            boolean settled = status.path("currentCycle").path("status").asText().equals("COMPLETED")
                    && !nextCycleDue(status);
            if (settled && id.equals(previous)) {
                return;
            }
            previous = settled ? id : null;
            pause(Duration.ofMillis(500));
        }
    }

    /** Pauses a job and waits (up to 2 minutes) until its running cycle is over. */
    private void pause(String jobId) {
        system.jobs().pause(jobId);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            String state = system.jobs().status(jobId).path("currentCycle").path("status").asText();
            if (!state.equals("RUNNING") && !state.equals("IN_PROGRESS")) {
                return;
            }
            pause(Duration.ofMillis(500));
        }
    }

    /** Waits (up to the scenario timeout) until a cycle newer than {@code previous} is complete. */
    private void awaitCycleAfter(String jobId, String previous) {
        long deadline = System.nanoTime() + options.timeoutFor(0).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode status = system.jobs().status(jobId);
            String id = currentCycleId(status);
            if (!id.equals(previous) && status.path("currentCycle").path("status").asText().equals("COMPLETED")) {
                return;
            }
            pause(Duration.ofMillis(500));
        }
        throw new Aborted("no new cycle of job " + jobId + " completed within " + options.timeoutFor(0));
    }

    private ScenarioResult result(String name, String kind, Outcome outcome, Map<String, Object> settings,
            Map<String, Integer> shape, long objects, StateDiff.Expected expected, UsageMeter meter,
            ScenarioResult.Latency latency, ScenarioResult.Baseline base, List<Map<String, Object>> cycles,
            Map<String, Profiler.Profile> profiles) {
        return result(name, kind, outcome, settings, shape, objects, expected, meter, latency, base, cycles, profiles,
                system.druva().requests());
    }

    private ScenarioResult result(String name, String kind, Outcome outcome, Map<String, Object> settings,
            Map<String, Integer> shape, long objects, StateDiff.Expected expected, UsageMeter meter,
            ScenarioResult.Latency latency, ScenarioResult.Baseline base, List<Map<String, Object>> cycles,
            Map<String, Profiler.Profile> profiles, List<RecordedRequest> log) {
        List<DruvaUser> users = system.druva().users();
        List<DruvaGroup> groups = system.druva().groups();
        StateDiff diff = StateDiff.of(expected, users, groups);
        long active = users.stream().filter(DruvaUser::active).count();
        long memberships = groups.stream().mapToLong(g -> g.memberIds().size()).sum();
        // per created user and per membership describe a bulk sync; the incremental scenario reports per change
        RequestStats requests = RequestStats.of(log, objects, latency == null ? active : 0,
                latency == null ? memberships : 0, system.druva().settings().rateLimitPerSecond());
        Map<String, UsageMeter.Usage> usage = meter.usage();
        Map<String, Double> per1000 = new LinkedHashMap<>();
        double services = 0, all = 0;
        for (var e : usage.entrySet()) {
            per1000.put(e.getKey(), round(1000 * e.getValue().cpuSeconds() / Math.max(1, objects)));
            all += e.getValue().cpuSeconds();
            if (SERVICES.contains(e.getKey())) {
                services += e.getValue().cpuSeconds();
            }
        }
        per1000.put("services", round(1000 * services / Math.max(1, objects)));
        per1000.put("all", round(1000 * all / Math.max(1, objects)));
        Map<String, UsageMeter.Usage> roundedUsage = new LinkedHashMap<>();
        usage.forEach((k, v) -> roundedUsage.put(k, new UsageMeter.Usage(v.processes(), round(v.cpuSeconds()),
                v.peakRssMiB() == null ? null : round(v.peakRssMiB()))));
        String status = outcome.status();
        String error = outcome.error();
        if (status.equals("ok") && diff.total() != 0) {
            status = "incomplete";
            error = "Druva's state differs from the directory: " + diff.examples();
        }
        double seconds = outcome.seconds();
        settings.put("replicas", Map.of(MAPPER, system.replicas(MAPPER).size(), WRITER, system.replicas(WRITER)
                .size()));
        ScenarioResult r = new ScenarioResult(name, kind, status, error, settings, shape, objects, active,
                memberships, round(seconds), round(objects / seconds), latency == null ? round(active / seconds) : null,
                requests, roundedUsage, per1000, round(meter.machineBusyPercent()), latency, diff, base, null, cycles,
                profiles);
        out.printf("  %s: %.1f s, %.1f objects/s, diff %d, CPU s per 1,000 objects %s%n", status, seconds,
                objects / seconds, diff.total(), per1000);
        return r;
    }

    /** Adds the comparison with the unlimited run of the same size (faults: time lost; replicas: speed-up). */
    private ScenarioResult compare(ScenarioResult r, String referenceName, boolean timeLost) {
        ScenarioResult reference = results.stream().filter(x -> x.name().equals(referenceName)).findFirst()
                .orElse(null);
        Double refSeconds = reference == null ? null : reference.seconds();
        ScenarioResult.Comparison c = new ScenarioResult.Comparison(reference == null ? null : referenceName,
                refSeconds,
                timeLost && refSeconds != null ? round(r.seconds() - refSeconds) : null,
                !timeLost && refSeconds != null ? round(refSeconds / r.seconds()) : null);
        return new ScenarioResult(r.name(), r.kind(), r.status(), r.error(), r.settings(), r.directory(), r.objects(),
                r.usersCreated(), r.memberships(), r.seconds(), r.objectsPerSecond(), r.usersPerSecond(),
                r.requests(), r.services(), r.cpuSecondsPer1000Objects(), r.machineBusyPercent(), r.latency(),
                r.diff(), r.baseline(), c, r.cycles(), r.profiles());
    }

    /** Runs {@code n} replicas of the mapper and the writer and waits until their consumer groups are stable. */
    private void replicas(int n) {
        List<CompletableFuture<?>> starting = new ArrayList<>(); // and stopping
        for (String service : List.of(MAPPER, WRITER)) {
            int missing = n - system.replicas(service).size();
            for (int i = 0; i < missing; i++) {
                out.printf("%s starting another %s replica%n", clock(), service);
                starting.add(CompletableFuture.runAsync(() -> system.addReplica(service)));
            }
            for (int i = 0; i < -missing; i++) {
                starting.add(CompletableFuture.runAsync(() -> system.removeReplica(service)));
            }
        }
        CompletableFuture.allOf(starting.toArray(CompletableFuture[]::new)).join();
        awaitGroups(n);
    }

    /** Restarts the writers with the tenant budget for a rate-limited Druva (unless they have it). */
    private void writerBudget(double perSecond) {
        if (perSecond == writerRate) {
            return;
        }
        out.printf("%n%s restarting the writer(s) with a tenant budget of %s requests/s%n", clock(), perSecond);
        system.restart(WRITER, Map.of("WRITER_RATE_LIMIT_PER_SECOND", Double.toString(perSecond),
                "WRITER_RATE_LIMIT_MAX_IN_FLIGHT", "32"));
        writerRate = perSecond;
        awaitGroups(system.replicas(WRITER).size());
    }

    /**
     * Waits until the mapper's and the writer's consumer groups are stable with one member per replica, then for a
     * writer heartbeat (each writer's share of the tenant budget follows the live replicas).
     */
    private void awaitGroups(int writers) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        Map<String, Integer> wanted = Map.of(MAPPER, system.replicas(MAPPER).size(), WRITER, writers);
        try (Admin admin = system.stack().kafka().admin()) {
            while (true) {
                Map<String, ConsumerGroupDescription> groups = admin.describeConsumerGroups(wanted.keySet()).all()
                        .get(30, TimeUnit.SECONDS);
                boolean stable = wanted.entrySet().stream().allMatch(e -> {
                    ConsumerGroupDescription d = groups.get(e.getKey());
                    return d != null && d.groupState() == GroupState.STABLE && d.members().size() == e.getValue();
                });
                if (stable) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new Aborted("the consumer groups did not settle with " + wanted + " members: " + groups);
                }
                pause(Duration.ofMillis(500));
            }
        } catch (Aborted e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot describe the consumer groups", e);
        }
        pause(Duration.ofSeconds(2));
    }

    private Map<String, Object> job(String name, Path file, String interval) {
        return jobDefinition("bench " + name, system.druva().baseUrl(), system.druvaToken(), interval,
                Map.of("type", "DIRECTORY_FILE", "directoryFile", file.toString()));
    }

    /**
     * A job as the benchmark configures it: notification on failure, the scoping filter that leaves the generated
     * directory's contractors out, the given tenant and source.
     */
    static Map<String, Object> jobDefinition(String name, String tenantUrl, String token, String interval,
            Map<String, Object> source) {
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("name", name);
        job.put("tenantUrl", tenantUrl);
        job.put("secretToken", token);
        job.put("notificationEmail", "admin@bench.example");
        job.put("notifyOnFailure", true);
        job.put("provisioningStatus", "On");
        job.put("cycleInterval", interval);
        job.put("userScopingFilters", List.of(Map.of("name", "No contractors", "clauses", List.of(Map.of("attribute",
                "department", "operator", "NOT_EQUALS", "value", BenchDirectory.OUT_OF_SCOPE_DEPARTMENT)))));
        job.put("source", source);
        return job;
    }

    private Map<String, Object> settings(DruvaScimServer.Options druva) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("druvaLatencyMs", druva.latencyMax().toMillis());
        s.put("druvaRateLimitPerSecond", druva.rateLimitPerSecond());
        s.put("druvaServerErrorRatio", druva.serverErrorRatio());
        s.put("druva429Bursts", druva.throttleBurstEvery().isZero()
                ? null
                : druva.throttleBurstLength() + " every " + druva.throttleBurstEvery());
        s.put("writerRateLimitPerSecond", writerRate);
        return s;
    }

    private List<UsageMeter.Participant> participants() {
        List<UsageMeter.Participant> participants = new ArrayList<>();
        for (String service : SERVICES) {
            for (ServiceProcess p : system.replicas(service)) {
                participants.add(new UsageMeter.Participant(service, p.pid(), false));
            }
        }
        participants.add(new UsageMeter.Participant(UsageMeter.LAUNCHER, ProcessHandle.current().pid(), false));
        participants.add(new UsageMeter.Participant(UsageMeter.POSTGRES, postmaster, true));
        return participants;
    }

    private void startProfile(String scenario) {
        if (profiler == null) {
            return;
        }
        List<Profiler.Target> targets = new ArrayList<>();
        for (String service : SERVICES) {
            for (ServiceProcess p : system.replicas(service)) {
                targets.add(new Profiler.Target(p.name(), p.pid()));
            }
        }
        profiler.start(scenario, targets);
    }

    private Map<String, Profiler.Profile> stopProfile() {
        return profiler == null ? null : profiler.stop();
    }

    private static List<Map<String, Object>> cycles(JsonNode status) {
        List<Map<String, Object>> cycles = new ArrayList<>();
        for (JsonNode c : status.path("recentCycles")) {
            Map<String, Object> cycle = new LinkedHashMap<>();
            cycle.put("cycleId", c.path("cycleId").asText());
            cycle.put("fullCycle", c.path("fullCycle").asBoolean());
            cycle.put("status", c.path("status").asText());
            cycle.put("startedAt", c.path("startedAt").asText());
            cycle.put("emittedAt", c.path("emittedAt").asText(null));
            cycle.put("eventsEmitted", c.path("eventsEmitted").asLong());
            cycle.put("resultsReceived", c.path("resultsReceived").asLong());
            Map<String, Long> counts = new TreeMap<>();
            c.path("counts").fields().forEachRemaining(e -> counts.put(e.getKey(), e.getValue().asLong()));
            cycle.put("counts", counts);
            cycles.add(0, cycle); // the API lists the newest first
        }
        return cycles;
    }

    private static String currentCycleId(JsonNode status) {
        return status.path("currentCycle").path("cycleId").asText("");
    }

    /** The PostgreSQL postmaster's process id, from {@code postmaster.pid} in its data directory. */
    private static long postmasterPid(LocalPostgres postgres) {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl("postgres"), LocalPostgres.USER,
                LocalPostgres.PASSWORD);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SHOW data_directory")) {
            rs.next();
            Path pidFile = Path.of(rs.getString(1), "postmaster.pid");
            return Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("cannot find PostgreSQL's postmaster", e);
        }
    }

    /** The time since the benchmark started, for the progress lines. */
    private String clock() {
        long s = (System.nanoTime() - benchStarted) / 1_000_000_000L;
        return String.format("[%02d:%02d]", s / 60, s % 60);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    static Double round(Double value) {
        if (value == null || value.isNaN() || value.isInfinite()) {
            return null;
        }
        double scale = Math.abs(value) >= 100 ? 10 : Math.abs(value) >= 1 ? 100 : 10_000;
        return Math.round(value * scale) / scale;
    }

    private static double nullToNaN(Double value) {
        return value == null ? Double.NaN : value;
    }

    /** Sleeps; an interrupt stops the run. */
    static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
