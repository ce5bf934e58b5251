package dev.provisioning.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * Writes {@code result.json} (every figure) and {@code result.md} (the tables a person reads) of a run.
 */
final class Report {

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT);

    private Report() {
    }

    /** The machine, the date and the command, for the report's header. */
    static Map<String, Object> machine(String[] args) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("date", OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).toString());
        try {
            m.put("host", InetAddress.getLocalHost().getHostName());
        } catch (IOException e) {
            m.put("host", null);
        }
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("memoryMiB", memoryMiB());
        m.put("cpu", cpuModel());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("launcherJvmOptions", ManagementFactory.getRuntimeMXBean().getInputArguments());
        m.put("command", "java -jar bench/target/bench.jar " + String.join(" ", args));
        return m;
    }

    static void write(Path directory, Map<String, Object> machine, BenchOptions options, Map<String, Object> run,
            List<ScenarioResult> results, Isolation.Result isolation, String error) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("machine", machine);
        root.put("options", options);
        root.put("run", run);
        root.put("error", error);
        root.put("scenarios", results);
        root.put("isolation", isolation);
        try {
            Files.createDirectories(directory);
            JSON.writeValue(directory.resolve("result.json").toFile(), root);
            Files.writeString(directory.resolve("result.md"), markdown(machine, run, results, isolation, error));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the results to " + directory, e);
        }
    }

    /** Each service's own flags (instead of the common ones), as ", each service's own: a `...`; b `...`". */
    private static String serviceFlags(Object byService) {
        if (!(byService instanceof Map<?, ?> map) || map.isEmpty()) {
            return "";
        }
        return map.entrySet().stream().sorted(Comparator.comparing(e -> String.valueOf(e.getKey())))
                .map(e -> e.getKey() + " `" + String.join(" ", asStrings(e.getValue())) + "`")
                .collect(Collectors.joining("; ", ", instead for ", ""));
    }

    static String markdown(Map<String, Object> machine, Map<String, Object> run, List<ScenarioResult> results,
            Isolation.Result isolation, String error) {
        StringBuilder md = new StringBuilder();
        md.append("# Benchmark result\n\n");
        md.append(String.format("%s, %s cores, %s MiB, %s; %s%n%n", machine.get("date"), machine.get("cores"),
                machine.get("memoryMiB"), machine.get("cpu"), machine.get("java")));
        md.append(String.format("`%s`; services' JVM flags `%s`%s%s%n%n", machine.get("command"),
                String.join(" ", asStrings(run.get("jvmOptions"))), serviceFlags(run.get("serviceJvmOptions")),
                run.get("warmupSeconds") == null ? "" : "; warm-up sync " + run.get("warmupSeconds") + " s"));
        if (error != null) {
            md.append("**The run stopped early:** ").append(error).append("\n\n");
        }
        if (!results.isEmpty()) {
            scenarios(md, results);
        }
        if (isolation != null) {
            isolation(md, isolation);
        }
        return md.toString();
    }

    /** The scenarios' tables (throughput, CPU, per scenario, profiles); only when a scenario ran. */
    private static void scenarios(StringBuilder md, List<ScenarioResult> results) {
        md.append("## Throughput\n\n");
        md.append("| scenario | status | users | objects | end to end (s) | objects/s | users/s | requests/object "
                + "| requests/created user | requests/membership | 429s | 5xx | final-state diff |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (ScenarioResult r : results) {
            RequestStats q = r.requests();
            md.append(row(r.name(), r.status(), r.directory() == null ? null : r.directory().get("users"), r.objects(),
                    r.seconds(), r.objectsPerSecond(), r.usersPerSecond(), q == null ? null : q.perObject(),
                    q == null ? null : q.perCreatedUser(),
                    q == null ? null : q.perMembership(), q == null ? null : q.throttled(),
                    q == null ? null : q.serverErrors(), r.diff() == null ? null : r.diff().total()));
        }
        md.append("\n## CPU seconds per 1,000 objects\n\n");
        md.append("Launcher: the Kafka broker, the Druva-compatible server and the benchmark itself (one JVM). "
                + "Machine: the share of both cores busy (every process) over the window.\n\n");
        md.append("| scenario | detector | mapper | writer | notifier | four services | launcher | postgres | all "
                + "| machine busy |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (ScenarioResult r : results) {
            Map<String, Double> c = r.cpuSecondsPer1000Objects();
            Function<String, Object> v = k -> c == null ? null : c.get(k);
            md.append(row(r.name(), v.apply("change-detector"), v.apply("mapper-service"), v.apply("scim-writer"),
                    v.apply("notifier"), v.apply("services"), v.apply(UsageMeter.LAUNCHER),
                    v.apply(UsageMeter.POSTGRES), v.apply("all"),
                    r.machineBusyPercent() == null ? null : r.machineBusyPercent() + " %"));
        }
        md.append("\n## CPU seconds and peak RSS (MiB) per service\n\n");
        md.append("| scenario | detector | mapper | writer | notifier | launcher | postgres (CPU only) |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        for (ScenarioResult r : results) {
            Map<String, UsageMeter.Usage> u = r.services();
            Function<String, Object> v = k -> {
                UsageMeter.Usage x = u == null ? null : u.get(k);
                if (x == null) {
                    return null;
                }
                String replicas = x.processes() > 1 && !k.equals(UsageMeter.POSTGRES) ? " (" + x.processes() + ")" : "";
                return x.cpuSeconds() + " s" + (x.peakRssMiB() == null ? "" : " / " + x.peakRssMiB() + " MiB")
                        + replicas;
            };
            md.append(row(r.name(), v.apply("change-detector"), v.apply("mapper-service"), v.apply("scim-writer"),
                    v.apply("notifier"), v.apply(UsageMeter.LAUNCHER), v.apply(UsageMeter.POSTGRES)));
        }
        md.append("\n## Per scenario\n\n");
        md.append("| scenario | figure |\n|---|---|\n");
        for (ScenarioResult r : results) {
            StringBuilder f = new StringBuilder();
            if (r.baseline() != null) {
                KafkaBaseline.Result k = r.baseline().kafka();
                f.append(String.format(Locale.ROOT, "Kafka alone: %d records (%d consumed, %.0f bytes avg) in %.1f s; "
                        + "pipeline/baseline: %sx the time, %sx the CPU. ", k.records(), k.consumed(),
                        k.records() == 0 ? 0.0 : k.bytes() / (double) k.records(), k.seconds(),
                        r.baseline().secondsRatio(), r.baseline().cpuRatio()));
            }
            if (r.requests() != null && r.requests().percentOfLimit() != null) {
                f.append(String.format(Locale.ROOT, "%.2f requests/s while users were created = %.1f %% of the "
                        + "%s/s limit (%.2f/s over the whole run). ", r.requests().creationPerSecond(),
                        r.requests().percentOfLimit(), r.settings().get("druvaRateLimitPerSecond"),
                        r.requests().acceptedPerSecond()));
            }
            if (r.latency() != null) {
                ScenarioResult.Latency l = r.latency();
                f.append(String.format(Locale.ROOT, "%d changes (%s/s), %d in Druva; change to Druva p50 %s ms, "
                        + "p90 %s ms, p99 %s ms, max %s ms. ", l.changes(), l.changesPerSecond(), l.delivered(),
                        l.p50Ms(), l.p90Ms(), l.p99Ms(), l.maxMs()));
            }
            if (r.comparison() != null) {
                ScenarioResult.Comparison c = r.comparison();
                if (c.reference() == null) {
                    f.append("No unlimited run of the same size to compare with. ");
                } else if (c.timeLostSeconds() != null) {
                    f.append(String.format(Locale.ROOT, "Time lost to faults: %s s (against %s s for %s). ",
                            c.timeLostSeconds(), c.referenceSeconds(), c.reference()));
                } else if (c.speedup() != null) {
                    f.append(String.format(Locale.ROOT, "Two replicas: %sx as fast as one (%s s for %s). ",
                            c.speedup(), c.referenceSeconds(), c.reference()));
                }
            }
            if (r.error() != null) {
                f.append(r.error().replace("|", "\\|").replace("\n", " "));
            }
            if (f.length() > 0) {
                md.append(row(r.name(), f.toString().trim()));
            }
        }
        boolean profiles = results.stream().anyMatch(r -> r.profiles() != null && !r.profiles().isEmpty());
        if (profiles) {
            md.append("\n## Where the CPU goes (JFR, own samples by package, top 3)\n\n");
            md.append("| scenario | process | samples | packages |\n|---|---|---|---|\n");
            for (ScenarioResult r : results) {
                if (r.profiles() == null) {
                    continue;
                }
                r.profiles().forEach((process, p) -> {
                    StringBuilder top = new StringBuilder();
                    p.topPackages().entrySet().stream().limit(3)
                            .forEach(e -> top.append(e.getKey()).append(" ").append(e.getValue()).append(" %, "));
                    md.append(row(r.name(), process, p.samples(),
                            top.length() > 2 ? top.substring(0, top.length() - 2) : ""));
                });
            }
            md.append("\nEach recording and its summary (`<process>.txt`) are in `jfr/<scenario>/`.\n");
        }
    }

    /** The isolation scenario: its targets line, the phases (CPU and capacity) and every job. */
    private static void isolation(StringBuilder md, Isolation.Result r) {
        md.append("\n## Isolation: ten jobs at once, each bound by its own tenant\n\n");
        md.append(String.format(Locale.ROOT, "Status %s. Each job %s users (no groups), its own Druva-compatible "
                + "tenant at %s requests/s and %s ms, the writer's budget the same per tenant. Phases in this "
                + "order: alone (A1), six healthy jobs together, ten (six healthy; slow: %s; Graph source: %s; "
                + "deleted once its Druva holds %s; broken file: %s), alone again (A2). Cycle: the detector's "
                + "`provisioning_detector_cycle_duration_seconds` for the job (claim to last result). Alone = "
                + "mean(A1, A2) = %s s, drift |A1 - A2| / mean = %s %%%s; six together: mean cycle %s s.%n%n",
                r.status(), r.settings().get("usersPerJob"), r.settings().get("tenantRateLimitPerSecond"),
                r.settings().get("druvaLatencyMs"),
                r.settings().get("slowTenant"), r.settings().get("graphSource"), r.settings().get("deletedAt"),
                r.settings().get("brokenFile"), r.aloneCycleSeconds(), r.driftPercent(),
                r.reliable() ? "" : " (**over 10 %: the ratios are unreliable**)", r.sixCycleSeconds()));
        if (r.error() != null) {
            md.append("**").append(r.error().replace("|", "\\|")).append("**\n\n");
        }
        md.append("| target | measured | verdict |\n|---|---|---|\n");
        md.append(row(r.target(), "healthy jobs among the ten: ratio to alone max " + r.healthyRatioMax()
                + ", median " + r.healthyRatioMedian(), "**" + r.verdict() + "**"));
        md.append("\n| phase | seconds | users created | CPU ms per user (all processes) | detector | mapper | writer "
                + "| notifier | launcher | postgres | machine busy | tenants' rates | capacity needed |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Isolation.Phase p : r.phases()) {
            boolean window = p.healthyWindow() != null;
            md.append(phaseRow(p.name() + (window ? " (whole phase)" : ""), new Isolation.Window(p.seconds(),
                    p.objects(), p.services(), p.cpuMsPerObject(), p.machineBusyPercent(),
                    p.tenantRequestsPerSecond(), p.capacityPercent())));
            if (window) {
                md.append(phaseRow("**" + p.name() + " (healthy window)**", p.healthyWindow()));
            }
        }
        md.append("\nCapacity needed: the tenants' rates x CPU per user / cores. Near or above 100 % the phase is "
                + "bound by the machine's CPU, not by the tenants. The ten's whole phase runs until the slow tenant's "
                + "last write, long after the healthy jobs end; its **healthy window** runs from its start until the "
                + "last healthy job was exact with its cycle complete (users created and tenants counted up to then), "
                + "and is the ten's capacity line. " + r.settings().get("warmUp") + " (the writer was just "
                + "restarted with the tenant budget).\n\n");
        md.append("| phase | job | kind | users | cycle (s) | first request to last write (s) | ratio to alone "
                + "| ratio to six | final-state diff | requests | 429s | cycle | note |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Isolation.Phase p : r.phases()) {
            for (Isolation.JobFigures j : p.jobs()) {
                String throttled = j.throttled() + (j.sourceThrottled() == null
                        ? ""
                        : " (+ " + j.sourceThrottled()
                                + " from Graph)");
                md.append(row(p.name(), j.job(), j.kind(), j.users(), j.cycleSeconds(),
                        j.firstRequestToLastWriteSeconds(), j.ratioToAlone(), j.ratioToSix(), j.diff(), j.requests(),
                        throttled, j.cycleStatus(), j.note()));
            }
        }
    }

    private static String phaseRow(String name, Isolation.Window w) {
        Function<String, Object> cpu = k -> w.services().get(k) == null
                ? null
                : w.services().get(k).cpuSeconds() + " s";
        return row(name, w.seconds(), w.objects(), w.cpuMsPerObject(), cpu.apply("change-detector"),
                cpu.apply("mapper-service"), cpu.apply("scim-writer"), cpu.apply("notifier"),
                cpu.apply(UsageMeter.LAUNCHER), cpu.apply(UsageMeter.POSTGRES),
                w.machineBusyPercent() == null ? null : w.machineBusyPercent() + " %",
                format(w.tenantRequestsPerSecond()) + "/s",
                w.capacityPercent() == null ? null : w.capacityPercent() + " % of the cores");
    }

    private static String row(Object... cells) {
        StringBuilder row = new StringBuilder("|");
        for (Object c : cells) {
            row.append(' ').append(c == null ? "—" : c instanceof Double d ? format(d) : c).append(" |");
        }
        return row.append('\n').toString();
    }

    private static String format(double d) {
        return Math.abs(d) >= 100
                ? String.format(Locale.ROOT, "%.0f", d)
                : Math.abs(d) >= 1
                        ? String.format(Locale.ROOT, "%.2f", d)
                        : String.format(Locale.ROOT, "%.3f", d);
    }

    @SuppressWarnings("unchecked")
    private static List<String> asStrings(Object value) {
        return value instanceof List<?> l ? (List<String>) l : List.of();
    }

    private static Long memoryMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return null;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }
}
