package dev.provisioning.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.demo.LocalSystem;
import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.druva.RecordedRequest;
import dev.provisioning.graph.GraphCompatibleServer;
import dev.provisioning.graph.GraphDirectory;

/**
 * The {@code isolation} scenario (issue 12 item 7, study {@code docs/studies/2026-12-01-issue12-isolation.md} section
 * 5): "with ten jobs at once, every other job's cycles finish within 1.5 times their time alone", measured where each
 * job is bound by its own tenant's rate (the writer's budget and a Druva-compatible server of its own at
 * {@code --isolation-rate} requests/s and 100 ms latency, as {@code initial-limited}).
 * <p>
 * Four phases on fresh tenants of the same size (users only, no groups), in one run: <b>alone A1</b> (one healthy job)
 * → <b>six</b> healthy jobs together → <b>ten</b>: six healthy, one whose Druva answers in 200-400 ms with a 1 s burst
 * of 429 every 3 s, one whose source is a Microsoft Graph tenant answering its first 4 calls 429
 * ({@code Retry-After: 2 s}, quick 1 s), one deleted once its Druva holds 50 users (quick: half its users), one whose
 * directory file says {@code "Users"} for {@code "users"} → <b>alone A2</b>. A job's time is its cycle as the detector
 * measures it ({@code provisioning_detector_cycle_duration_seconds} sum for its {@code provisioning_job}, claim → last
 * result; the scheduler's tick is not in it) and, beside it, its tenant's first request → last write. The denominator
 * is mean(A1, A2); when A1 and A2 differ by more than 10 % of their mean the ratio is marked unreliable.
 */
final class Isolation {

    /** Above this drift between A1 and A2 (a share of their mean) the ratios are unreliable. */
    static final double MAX_DRIFT = 0.10;
    /** The target: each healthy job among the ten within this factor of its time alone. */
    static final double TARGET_RATIO = 1.5;
    static final int HEALTHY = 6;
    static final int GRAPH_THROTTLED = 4;
    /** The deleted job is deleted once its Druva holds this many users (fewer in a small run). */
    static final int DELETE_AT = 50;

    private static final Pattern CYCLE_METRIC = Pattern.compile(
            "^provisioning_detector_cycle_duration_seconds_(sum|count)\\{([^}]*)\\}\\s+(\\S+)", Pattern.MULTILINE);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /**
     * The scenario's figures.
     *
     * @param status {@code ok} (every job that runs to the end holds exactly its directory, the broken job failed
     *        with no request), otherwise {@code incomplete}, {@code timed-out} or {@code failed}
     * @param settings users per job, tenant rate and latency, faults
     * @param phases A1, six, ten, A2, in the order they ran
     * @param aloneCycleSeconds mean(A1, A2) cycle seconds: the ratios' denominator
     * @param driftPercent |A1 − A2| / mean, in per cent
     * @param reliable whether the drift is at most {@value #MAX_DRIFT} of the mean
     * @param sixCycleSeconds mean cycle seconds of the six healthy jobs together
     * @param healthyRatioMax the largest ratio (cycle among the ten / alone) of the six healthy jobs
     * @param healthyRatioMedian their median
     * @param target the target's wording
     * @param verdict {@code met} or {@code missed} (with "unreliable" when the drift is too large), computed
     */
    record Result(String status, String error, Map<String, Object> settings, List<Phase> phases,
            Double aloneCycleSeconds, Double driftPercent, boolean reliable, Double sixCycleSeconds,
            Double healthyRatioMax, Double healthyRatioMedian, String target, String verdict) {

        boolean ok() {
            return "ok".equals(status);
        }
    }

    /**
     * One phase.
     *
     * @param seconds from the first job's creation until every job that runs to the end is exact with its cycle
     *        complete (and the broken job failed)
     * @param objects users created in the phase's tenants (every 201 to a POST)
     * @param services CPU seconds and peak RSS per process over the phase
     * @param cpuMsPerObject CPU milliseconds per created user, every measured process
     * @param machineBusyPercent the share of all cores busy over the phase (every process on the machine)
     * @param tenantRequestsPerSecond the sum of the rates of the tenants that received requests
     * @param capacityPercent {@code tenantRequestsPerSecond x cpuMsPerObject / cores}: the share of the machine the
     *        tenants' rates need; near or above 100 the phase is CPU-bound, not tenant-bound
     */
    record Phase(String name, double seconds, long objects, Map<String, UsageMeter.Usage> services,
            Double cpuMsPerObject, Double machineBusyPercent, double tenantRequestsPerSecond, Double capacityPercent,
            List<JobFigures> jobs) {
    }

    /**
     * One job of a phase.
     *
     * @param kind {@code alone}, {@code healthy}, {@code slow}, {@code graph-throttled}, {@code deleted} or
     *        {@code broken}
     * @param cycleStatus the job's current cycle when the phase ended ({@code deleted} for the deleted job)
     * @param cycleSeconds the detector's cycle duration sum for this job (null when no cycle completed)
     * @param cycles how many cycles that sum holds
     * @param firstRequestToLastWriteSeconds the tenant's first request to its last successful write
     * @param ratioToAlone {@code cycleSeconds / aloneCycleSeconds}
     * @param ratioToSix {@code cycleSeconds / sixCycleSeconds} (the ten only)
     * @param diff the final-state diff (null for the deleted and the broken job, which do not run to the end)
     * @param requests every request the job's Druva tenant answered; {@code throttled} those answered 429
     * @param sourceThrottled the Graph source's 429s (the Graph job only)
     */
    record JobFigures(String job, String kind, int users, String cycleStatus, Double cycleSeconds, Long cycles,
            Double firstRequestToLastWriteSeconds, Double ratioToAlone, Double ratioToSix, Integer diff,
            int requests, long throttled, Long sourceThrottled, String note) {
    }

    /** A job of a phase while it runs. */
    private static final class Job {
        final String name;
        final String kind;
        final BenchDirectory directory;
        final StateDiff.Expected expected;
        final DruvaScimServer druva;
        GraphCompatibleServer graph;
        String id;
        String cycleStatus = "";
        boolean done;
        String note;

        Job(String name, String kind, BenchDirectory directory, DruvaScimServer druva) {
            this.name = name;
            this.kind = kind;
            this.directory = directory;
            this.expected = StateDiff.Expected.of(directory, Set.of());
            this.druva = druva;
        }

        /** Runs to the end (its final state must be exact). */
        boolean toTheEnd() {
            return !kind.equals("deleted") && !kind.equals("broken");
        }
    }

    private final LocalSystem system;
    private final BenchOptions options;
    private final PrintStream out;
    private final Path directories;
    private final Supplier<List<UsageMeter.Participant>> participants;
    private final Supplier<String> clock;
    private final List<AutoCloseable> servers = new ArrayList<>();

    Isolation(LocalSystem system, BenchOptions options, PrintStream out, Path directories,
            Supplier<List<UsageMeter.Participant>> participants, Supplier<String> clock) {
        this.system = system;
        this.options = options;
        this.out = out;
        this.directories = directories;
        this.participants = participants;
        this.clock = clock;
    }

    /** Runs the four phases and works out the ratios. */
    Result run() {
        int users = options.isolationUsers();
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("usersPerJob", users);
        settings.put("tenantRateLimitPerSecond", options.isolationRate());
        settings.put("writerRateLimitPerSecond", options.isolationRate());
        settings.put("druvaLatencyMs", options.limitLatency().toMillis());
        settings.put("slowTenant", "200-400 ms, a 1 s burst of 429 every 3 s");
        settings.put("graphSource", GRAPH_THROTTLED + " x 429, Retry-After " + graphRetryAfter().toSeconds() + " s");
        settings.put("deletedAt", deleteAt(users) + " users");
        settings.put("brokenFile", "\"Users\" for \"users\"");
        settings.put("cycleInterval", "PT1H");
        List<Phase> phases = new ArrayList<>();
        String status = "ok";
        String error = null;
        try {
            for (String phase : List.of("alone-1", "six", "ten", "alone-2")) {
                Phase p = phase(phase, users);
                phases.add(p);
                for (JobFigures j : p.jobs()) {
                    if (j.note() != null && status.equals("ok")) {
                        status = j.note().startsWith("timed out") ? "timed-out" : "incomplete";
                        error = phase + " " + j.job() + ": " + j.note();
                    }
                }
                if (!status.equals("ok")) {
                    break;
                }
            }
        } catch (RuntimeException e) {
            status = "failed";
            error = e.getMessage() == null ? e.toString() : e.getMessage();
        } finally {
            closeServers();
        }
        return figures(status, error, settings, phases);
    }

    private Phase phase(String name, int users) {
        out.printf("%n%s isolation %s: %s jobs of %d users, tenants at %s requests/s%n", clock.get(), name,
                name.startsWith("alone") ? 1 : name.equals("six") ? HEALTHY : 10, users, options.isolationRate());
        List<Job> jobs = new ArrayList<>();
        if (name.startsWith("alone")) {
            jobs.add(fileJob(name, "alone", users, healthy()));
        } else {
            for (int i = 0; i < HEALTHY; i++) {
                jobs.add(fileJob(name + "-healthy-" + i, "healthy", users, healthy()));
            }
        }
        if (name.equals("ten")) {
            jobs.add(fileJob("ten-slow", "slow", users, healthy().latency(Duration.ofMillis(200),
                    Duration.ofMillis(400)).throttleBursts(Duration.ofSeconds(3), Duration.ofSeconds(1))));
            jobs.add(graphJob("ten-graph", users));
            jobs.add(fileJob("ten-deleted", "deleted", users, healthy()));
            jobs.add(fileJob("ten-broken", "broken", users, healthy()));
        }
        UsageMeter meter = new UsageMeter(participants.get());
        meter.start();
        long started = System.nanoTime();
        for (Job job : jobs) {
            if (job.graph != null) {
                job.graph.throttleNext(GRAPH_THROTTLED, graphRetryAfter());
            }
            job.id = system.jobs().create(jobDefinition(job));
        }
        awaitPhase(jobs, users, started);
        double seconds = (System.nanoTime() - started) / 1e9;
        meter.stop();
        Map<String, Double> cycleSums = new LinkedHashMap<>();
        Map<String, Long> cycleCounts = new LinkedHashMap<>();
        cycleMetrics(jobs, cycleSums, cycleCounts);
        for (Job job : jobs) {
            if (!job.kind.equals("deleted")) {
                system.jobs().pause(job.id);
            }
        }
        List<JobFigures> figures = new ArrayList<>();
        long objects = 0;
        double rates = 0;
        for (Job job : jobs) {
            List<RecordedRequest> log = job.druva.requests();
            objects += log.stream().filter(r -> r.method().equals("POST") && r.status() == 201).count();
            if (!log.isEmpty()) {
                rates += options.isolationRate();
            }
            Integer diff = job.toTheEnd()
                    ? StateDiff.of(job.expected, job.druva.users(), job.druva.groups()).total()
                    : null;
            figures.add(new JobFigures(job.name, job.kind, users, job.cycleStatus, Benchmark.round(cycleSums.get(
                    job.id)), cycleCounts.get(job.id), Benchmark.round(firstRequestToLastWrite(log)), null, null,
                    diff, log.size(), log.stream().filter(r -> r.status() == 429).count(),
                    job.graph == null ? null : job.graph.requests().stream().filter(r -> r.status() == 429).count(),
                    job.note));
        }
        Map<String, UsageMeter.Usage> usage = new LinkedHashMap<>();
        double cpu = 0;
        for (var e : meter.usage().entrySet()) {
            UsageMeter.Usage u = e.getValue();
            cpu += u.cpuSeconds();
            usage.put(e.getKey(), new UsageMeter.Usage(u.processes(), Benchmark.round(u.cpuSeconds()),
                    u.peakRssMiB() == null ? null : Benchmark.round(u.peakRssMiB())));
        }
        Double cpuMs = objects == 0 ? null : 1000 * cpu / objects;
        int cores = Runtime.getRuntime().availableProcessors();
        Double capacity = cpuMs == null ? null : 100 * rates * cpuMs / 1000 / cores;
        out.printf("  %s: %.1f s, %d users created, %.2f ms CPU per user (all processes), machine %.0f %% busy; "
                + "tenants' rates need %.0f %% of %d cores%n", name, seconds, objects,
                cpuMs == null
                        ? Double.NaN
                        : cpuMs,
                meter.machineBusyPercent(), capacity == null ? Double.NaN : capacity, cores);
        closeServers();
        return new Phase(name, Benchmark.round(seconds), objects, usage, Benchmark.round(cpuMs),
                Benchmark.round(meter.machineBusyPercent()), rates, Benchmark.round(capacity), figures);
    }

    /**
     * Waits until every job that runs to the end holds exactly its directory with its cycle complete, the broken job's
     * cycle failed, and the deleted job is deleted; or until the scenario's timeout. Druva's state is read in-process;
     * a job's status only when its state looks complete, and every few seconds.
     */
    private void awaitPhase(List<Job> jobs, int users, long started) {
        long deadline = started + options.timeoutFor(users * 10).toNanos();
        long nextStatus = 0;
        long nextProgress = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            long now = System.nanoTime();
            boolean statusRound = now >= nextStatus;
            if (statusRound) {
                nextStatus = now + TimeUnit.SECONDS.toNanos(3);
            }
            boolean all = true;
            for (Job job : jobs) {
                if (job.done) {
                    continue;
                }
                switch (job.kind) {
                    case "deleted" -> {
                        if (job.druva.users().size() >= deleteAt(users)) {
                            HttpResponse<String> deletion = system.jobs().exchange("DELETE", "/jobs/" + job.id, null);
                            if (deletion.statusCode() != 204) {
                                throw new IllegalStateException("DELETE of the deleted job answered "
                                        + deletion.statusCode() + ": " + deletion.body());
                            }
                            job.note = null;
                            job.cycleStatus = "deleted at " + job.druva.users().size() + " users";
                            job.done = true;
                        }
                    }
                    case "broken" -> {
                        if (statusRound) {
                            job.cycleStatus = cycleStatus(job);
                            job.done = job.cycleStatus.equals("FAILED");
                        }
                    }
                    default -> {
                        boolean looksDone = job.druva.users().size() == job.expected.users().size();
                        if (looksDone || statusRound) {
                            job.cycleStatus = cycleStatus(job);
                            job.done = looksDone && job.cycleStatus.equals("COMPLETED")
                                    && StateDiff.of(job.expected, job.druva.users(), job.druva.groups()).total() == 0;
                            if (!job.done && (job.cycleStatus.equals("FAILED")
                                    || job.cycleStatus.equals("COMPLETED") && looksDone)) {
                                job.note = "cycle " + job.cycleStatus + " with Druva holding "
                                        + job.druva.users().size() + " of " + job.expected.users().size() + " users";
                                if (job.cycleStatus.equals("FAILED")) {
                                    job.done = true;
                                }
                            } else {
                                job.note = null;
                            }
                        }
                    }
                }
                all &= job.done;
            }
            if (all) {
                return;
            }
            if (now >= nextProgress) {
                nextProgress = now + TimeUnit.SECONDS.toNanos(10);
                StringBuilder progress = new StringBuilder();
                jobs.stream().filter(j -> !j.done).forEach(j -> progress.append(' ').append(j.name).append(' ')
                        .append(j.druva.users().size()).append('/').append(j.expected.users().size()));
                out.printf("  %.0f s: waiting for%s%n", (now - started) / 1e9, progress);
            }
            if (now > deadline) {
                for (Job job : jobs) {
                    if (!job.done) {
                        job.note = "timed out: cycle " + job.cycleStatus + ", Druva holding " + job.druva.users()
                                .size() + " of " + job.expected.users().size() + " users";
                    }
                }
                return;
            }
            Benchmark.pause(Duration.ofMillis(250));
        }
    }

    private String cycleStatus(Job job) {
        JsonNode status = system.jobs().status(job.id);
        return status.path("currentCycle").path("status").asText("");
    }

    /**
     * Reads each job's cycle duration (sum and count) from the detector's {@code /q/metrics}; retries for up to 10 s
     * while a job whose cycle completed has no series yet (the timer is recorded as its last result is handled).
     */
    private void cycleMetrics(List<Job> jobs, Map<String, Double> sums, Map<String, Long> counts) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            sums.clear();
            counts.clear();
            String text = scrape(system.service("change-detector").managementUrl() + "/q/metrics");
            Matcher m = CYCLE_METRIC.matcher(text);
            while (m.find()) {
                Matcher job = Pattern.compile("provisioning_job=\"([^\"]*)\"").matcher(m.group(2));
                if (!job.find()) {
                    continue;
                }
                double value = Double.parseDouble(m.group(3));
                if (m.group(1).equals("sum")) {
                    sums.merge(job.group(1), value, Double::sum);
                } else {
                    counts.merge(job.group(1), (long) value, Long::sum);
                }
            }
            boolean missing = jobs.stream().anyMatch(j -> j.toTheEnd() && j.done && j.note == null
                    && !sums.containsKey(j.id));
            if (!missing || System.nanoTime() > deadline) {
                return;
            }
            Benchmark.pause(Duration.ofMillis(500));
        }
    }

    private static String scrape(String url) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(url + " answered " + response.statusCode());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + url, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private Result figures(String status, String error, Map<String, Object> settings, List<Phase> phases) {
        Double a1 = aloneCycle(phases, "alone-1");
        Double a2 = aloneCycle(phases, "alone-2");
        Double alone = a1 == null || a2 == null ? null : (a1 + a2) / 2;
        Double drift = alone == null ? null : 100 * Math.abs(a1 - a2) / alone;
        boolean reliable = drift != null && drift <= 100 * MAX_DRIFT;
        Double six = phases.stream().filter(p -> p.name().equals("six")).findFirst()
                .map(p -> p.jobs().stream().map(JobFigures::cycleSeconds).filter(s -> s != null)
                        .mapToDouble(Double::doubleValue).average().orElse(Double.NaN))
                .orElse(null);
        List<Phase> withRatios = new ArrayList<>();
        for (Phase p : phases) {
            List<JobFigures> jobs = new ArrayList<>();
            for (JobFigures j : p.jobs()) {
                Double c = j.cycleSeconds();
                boolean ten = p.name().equals("ten");
                jobs.add(new JobFigures(j.job(), j.kind(), j.users(), j.cycleStatus(), c, j.cycles(),
                        j.firstRequestToLastWriteSeconds(), ratio(c, alone), ten ? ratio(c, six) : null, j.diff(),
                        j.requests(), j.throttled(), j.sourceThrottled(), j.note()));
            }
            withRatios.add(new Phase(p.name(), p.seconds(), p.objects(), p.services(), p.cpuMsPerObject(),
                    p.machineBusyPercent(), p.tenantRequestsPerSecond(), p.capacityPercent(), jobs));
        }
        List<Double> healthy = withRatios.stream().filter(p -> p.name().equals("ten"))
                .flatMap(p -> p.jobs().stream()).filter(j -> j.kind().equals("healthy"))
                .map(JobFigures::ratioToAlone).filter(r -> r != null).sorted().toList();
        Double max = healthy.size() == HEALTHY ? healthy.get(healthy.size() - 1) : null;
        Double median = healthy.size() == HEALTHY
                ? (healthy.get(HEALTHY / 2 - 1) + healthy.get(HEALTHY / 2)) / 2
                : null;
        String target = String.format(java.util.Locale.ROOT,
                "ten jobs at %s requests/s: healthy cycles ≤ %sx alone", format(options.isolationRate()),
                format(TARGET_RATIO));
        String verdict;
        if (max == null || !status.equals("ok")) {
            verdict = "not measured";
        } else {
            verdict = (max <= TARGET_RATIO ? "met" : "missed") + (reliable
                    ? ""
                    : " (unreliable: A1 and A2 differ "
                            + "by " + Math.round(drift) + " %)");
        }
        return new Result(status, error, settings, withRatios, Benchmark.round(alone), Benchmark.round(drift),
                reliable, Benchmark.round(six), Benchmark.round(max), Benchmark.round(median), target, verdict);
    }

    private static Double aloneCycle(List<Phase> phases, String name) {
        return phases.stream().filter(p -> p.name().equals(name)).flatMap(p -> p.jobs().stream())
                .map(JobFigures::cycleSeconds).filter(s -> s != null).findFirst().orElse(null);
    }

    private static Double ratio(Double value, Double reference) {
        return value == null || reference == null || reference <= 0 ? null : Benchmark.round(value / reference);
    }

    private static String format(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private static Double firstRequestToLastWrite(List<RecordedRequest> log) {
        Instant first = log.stream().map(RecordedRequest::timestamp).min(Instant::compareTo).orElse(null);
        Instant last = log.stream().filter(r -> !r.method().equals("GET") && r.status() >= 200 && r.status() < 300)
                .map(RecordedRequest::timestamp).max(Instant::compareTo).orElse(null);
        return first == null || last == null ? null : Duration.between(first, last).toMillis() / 1000.0;
    }

    private DruvaScimServer.Options healthy() {
        return DruvaScimServer.Options.defaults().rateLimitPerSecond(options.isolationRate())
                .latency(options.limitLatency());
    }

    private Duration graphRetryAfter() {
        return options.quick() ? Duration.ofSeconds(1) : Duration.ofSeconds(2);
    }

    private static int deleteAt(int users) {
        return Math.max(1, Math.min(DELETE_AT, users / 2));
    }

    /** A job whose source is a directory file of its own and whose target is a Druva tenant of its own. */
    private Job fileJob(String name, String kind, int users, DruvaScimServer.Options tenant) {
        BenchDirectory directory = BenchDirectory.generate("iso-" + name, users, 0, options.seed());
        Job job = new Job(name, kind, directory, druva(tenant));
        Path file = directories.resolve("isolation-" + name + ".json");
        directory.write(file);
        if (kind.equals("broken")) {
            try {
                Files.writeString(file, Files.readString(file).replace("\"users\"", "\"Users\""));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file, e);
            }
        }
        job.note = null;
        return withSource(job, Map.of("type", "DIRECTORY_FILE", "directoryFile", file.toString()));
    }

    /** A job whose source is a Microsoft Graph tenant holding the same kind of directory. */
    private Job graphJob(String name, int users) {
        BenchDirectory directory = BenchDirectory.generate("iso-" + name, users, 0, options.seed());
        Job job = new Job(name, "graph-throttled", directory, druva(healthy()));
        GraphCompatibleServer graph = GraphCompatibleServer.start(GraphCompatibleServer.Options.defaults());
        servers.add(graph);
        GraphDirectory tenant = graph.directory();
        for (BenchDirectory.User u : directory.users()) {
            tenant.assign(tenant.addUser(BenchDirectory.userNode(u)), GraphDirectory.PrincipalType.User,
                    GraphCompatibleServer.DEFAULT_APP_ROLE);
        }
        job.graph = graph;
        GraphCompatibleServer.Options o = graph.options();
        return withSource(job, Map.of("type", "MICROSOFT_GRAPH", "graph", Map.of("tenantId", o.tenantId(),
                "clientId", o.clientId(), "clientSecret", o.clientSecret(), "servicePrincipalId",
                o.servicePrincipalId(), "authorityUrl", graph.authorityUrl(), "graphUrl", graph.baseUrl())));
    }

    private final Map<Job, Map<String, Object>> sources = new LinkedHashMap<>();

    private Job withSource(Job job, Map<String, Object> source) {
        sources.put(job, source);
        return job;
    }

    private Map<String, Object> jobDefinition(Job job) {
        return Benchmark.jobDefinition("isolation " + job.name, job.druva.baseUrl(), job.druva.settings().token(),
                "PT1H", sources.get(job));
    }

    private DruvaScimServer druva(DruvaScimServer.Options settings) {
        DruvaScimServer server = DruvaScimServer.start(settings.token("token-" + UUID.randomUUID()));
        servers.add(server);
        return server;
    }

    private void closeServers() {
        for (AutoCloseable server : servers) {
            try {
                server.close();
            } catch (Exception e) {
                out.println("  cannot stop a tenant: " + e);
            }
        }
        servers.clear();
        sources.clear();
    }
}
