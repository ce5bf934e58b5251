package dev.provisioning.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * JFR recordings per scenario: each service process through {@code jcmd <pid> JFR.start/JFR.stop} (the JDK's own
 * tool, next to the {@code java} that runs the benchmark), and the launcher in-process. Every recording uses the JDK's
 * {@code profile} settings (method samples every 10-20 ms, allocations, locks) and is summarised into a text file: the
 * hottest methods by own samples, the hottest packages, and the project's methods by inclusive samples. Open the
 * {@code .jfr} in JDK Mission Control or with {@code jfr print} for more.
 */
final class Profiler {

    /** One process to record: its report name (a service, {@code scim-writer-2}, or the launcher) and pid. */
    record Target(String name, long pid) {
    }

    /**
     * A finished recording.
     *
     * @param samples execution samples in it
     * @param topPackages packages by own samples, in percent of all samples (the top 8)
     */
    record Profile(String recording, String summary, long samples, Map<String, Double> topPackages) {
    }

    private final Path directory;
    private final Path jcmd;
    private Recording launcher;
    private List<Target> targets = List.of();
    private String scenario;

    Profiler(Path directory) {
        this.directory = directory;
        this.jcmd = ProcessHandle.current().info().command().map(Path::of).map(java -> java.resolveSibling("jcmd"))
                .filter(Files::isExecutable).orElse(Path.of("jcmd"));
    }

    /** Starts a recording in every target process and in this JVM (the launcher). */
    void start(String scenario, List<Target> targets) {
        this.scenario = scenario;
        this.targets = List.copyOf(targets);
        for (Target t : targets) {
            jcmd(t.pid(), "JFR.start", "name=bench-" + scenario, "settings=profile");
        }
        try {
            launcher = new Recording(Configuration.getConfiguration("profile"));
        } catch (IOException | ParseException e) {
            throw new IllegalStateException("cannot read the JFR profile settings", e);
        }
        launcher.setName("bench-" + scenario);
        launcher.start();
    }

    /** Stops the recordings, writes them to {@code <directory>/<scenario>/<name>.jfr} and summarises each. */
    Map<String, Profile> stop() {
        Path dir = directory.resolve(scenario);
        Map<String, Profile> profiles = new LinkedHashMap<>();
        try {
            Files.createDirectories(dir);
            for (Target t : targets) {
                Path file = dir.resolve(t.name() + ".jfr");
                jcmd(t.pid(), "JFR.stop", "name=bench-" + scenario, "filename=" + file);
                profiles.put(t.name(), summarise(file));
            }
            Path file = dir.resolve(UsageMeter.LAUNCHER + ".jfr");
            launcher.stop();
            launcher.dump(file);
            launcher.close();
            profiles.put(UsageMeter.LAUNCHER, summarise(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the JFR recordings of " + scenario, e);
        }
        return profiles;
    }

    private void jcmd(long pid, String... command) {
        List<String> line = new ArrayList<>(List.of(jcmd.toString(), Long.toString(pid)));
        line.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(line).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", line) + " failed: " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", line), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * Summarises recordings again (for instance with a newer version of this summary):
     * {@code java -cp bench/target/bench.jar dev.provisioning.bench.Profiler FILE.jfr...} writes {@code FILE.txt}
     * beside each.
     */
    public static void main(String[] args) throws IOException {
        for (String file : args) {
            Profile p = summarise(Path.of(file));
            System.out.printf("%s: %d samples, %s%n", p.summary(), p.samples(), p.topPackages());
        }
    }

    /**
     * Writes {@code <name>.txt} beside the recording and returns the figures for the report. The text has: where the
     * CPU went (execution samples by thread, by package and method of the top frame, by method anywhere on the stack,
     * and the project's own methods anywhere on the stack), what was allocated (sampled allocation weight by class and
     * by the first project or library frame that allocated it), and the garbage collector's work (pauses, the heap
     * used after each collection: the live set, which is what the heap must hold).
     */
    static Profile summarise(Path recording) throws IOException {
        Map<String, Long> selfMethods = new HashMap<>();
        Map<String, Long> selfPackages = new HashMap<>();
        Map<String, Long> inclusive = new HashMap<>();
        Map<String, Long> projectInclusive = new HashMap<>();
        Map<String, Long> threads = new HashMap<>();
        Map<String, Long> allocatedByClass = new HashMap<>();
        Map<String, Long> allocatedBySite = new HashMap<>();
        Map<String, Long> allocatedByThread = new HashMap<>();
        Map<String, double[]> threadCpu = new HashMap<>();
        Map<String, java.time.Instant> threadCpuLast = new HashMap<>();
        long samples = 0;
        long allocated = 0;
        long collections = 0;
        double pauseSeconds = 0;
        double longestPauseMs = 0;
        long maxUsedAfterGc = 0;
        long maxCommitted = 0;
        double jvmCpu = 0;
        int cpuLoads = 0;
        int cores = Runtime.getRuntime().availableProcessors();
        java.time.Instant first = null, last = null;
        try (RecordingFile file = new RecordingFile(recording)) {
            while (file.hasMoreEvents()) {
                RecordedEvent event = file.readEvent();
                java.time.Instant time = event.getStartTime();
                switch (event.getEventType().getName()) {
                    case "jdk.ExecutionSample" -> {
                        RecordedStackTrace stack = event.getStackTrace();
                        if (stack == null || stack.getFrames().isEmpty()) {
                            continue;
                        }
                        samples++;
                        threads.merge(threadGroup(event.getThread("sampledThread")), 1L, Long::sum);
                        RecordedFrame top = stack.getFrames().get(0);
                        String type = top.getMethod().getType().getName();
                        selfMethods.merge(type + "." + top.getMethod().getName(), 1L, Long::sum);
                        selfPackages.merge(packageOf(type), 1L, Long::sum);
                        Set<String> seen = new HashSet<>();
                        for (RecordedFrame f : stack.getFrames()) {
                            String t = f.getMethod().getType().getName();
                            String m = t + "." + f.getMethod().getName();
                            if (seen.add(m)) {
                                inclusive.merge(m, 1L, Long::sum);
                                if (t.startsWith("dev.provisioning.")) {
                                    projectInclusive.merge(m, 1L, Long::sum);
                                }
                            }
                        }
                    }
                    case "jdk.ObjectAllocationSample" -> {
                        long weight = event.getLong("weight");
                        allocated += weight;
                        jdk.jfr.consumer.RecordedClass type = event.getClass("objectClass");
                        allocatedByClass.merge(type == null ? "?" : type.getName(), weight, Long::sum);
                        allocatedBySite.merge(allocationSite(event.getStackTrace()), weight, Long::sum);
                        allocatedByThread.merge(threadGroup(event.getThread("eventThread")), weight, Long::sum);
                    }
                    case "jdk.ThreadCPULoad" -> {
                        // load over the interval since the thread's previous event: CPU seconds = load x interval
                        String thread = threadGroup(event.getThread("eventThread"));
                        String key = String.valueOf(event.getThread("eventThread") == null
                                ? thread
                                : event.getThread("eventThread").getJavaThreadId());
                        java.time.Instant previous = threadCpuLast.put(key, time);
                        if (previous != null) {
                            double seconds = java.time.Duration.between(previous, time).toNanos() / 1e9;
                            // the load is a share of all cores (JDK's threadCPULoad.cpp), made per core below
                            threadCpu.computeIfAbsent(thread, k -> new double[1])[0] += seconds
                                    * (event.getFloat("user") + event.getFloat("system"));
                        }
                    }
                    case "jdk.CPULoad" -> {
                        // once a second: the recording's span is from the first to the last of these
                        jvmCpu += event.getFloat("jvmUser") + event.getFloat("jvmSystem");
                        cpuLoads++;
                        first = first == null || time.isBefore(first) ? time : first;
                        last = last == null || time.isAfter(last) ? time : last;
                    }
                    case "jdk.CPUInformation" -> cores = Math.max(1, event.getInt("hwThreads"));
                    case "jdk.GarbageCollection" -> {
                        collections++;
                        double pause = event.getDuration("sumOfPauses").toNanos() / 1e6;
                        pauseSeconds += pause / 1000;
                        longestPauseMs = Math.max(longestPauseMs, pause);
                    }
                    case "jdk.GCHeapSummary" -> {
                        if ("After GC".equals(event.getString("when"))) {
                            maxUsedAfterGc = Math.max(maxUsedAfterGc, event.getLong("heapUsed"));
                        }
                        jdk.jfr.consumer.RecordedObject space = event.getValue("heapSpace");
                        if (space != null) {
                            maxCommitted = Math.max(maxCommitted, space.getLong("committedSize"));
                        }
                    }
                    default -> {
                    }
                }
            }
        }
        double seconds = first == null ? 0 : java.time.Duration.between(first, last).toNanos() / 1e9;
        Path summary = recording.resolveSibling(recording.getFileName().toString().replace(".jfr", ".txt"));
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(summary))) {
            out.printf("%s: %.0f s, %d execution samples (jdk.ExecutionSample, settings=profile: Java code running on "
                    + "a CPU; time in native code, the kernel and the JIT compiler is not sampled)%n",
                    recording.getFileName(), seconds, samples);
            double average = cpuLoads == 0 ? 0 : jvmCpu / cpuLoads;
            out.printf("JVM CPU (jdk.CPULoad): %.1f %% of %d cores on average, about %.1f CPU s%n", 100 * average,
                    cores,
                    average * cores * seconds);
            out.printf("GC: %d collections, %.2f s of pauses (longest %.0f ms); heap used after GC at most %.0f MiB "
                    + "(the live set), heap committed at most %.0f MiB%n", collections, pauseSeconds, longestPauseMs,
                    maxUsedAfterGc / 1048576.0, maxCommitted / 1048576.0);
            out.printf("Allocated (jdk.ObjectAllocationSample weights, an estimate): %.0f MiB, %.1f MiB/s%n",
                    allocated / 1048576.0, seconds == 0 ? 0 : allocated / 1048576.0 / seconds);
            Map<String, Long> cpuMillis = new HashMap<>();
            int perCore = cores;
            threadCpu.forEach((k, v) -> cpuMillis.put(k, Math.round(v[0] * perCore * 1000)));
            long cpuTotal = cpuMillis.values().stream().mapToLong(Long::longValue).sum();
            table(out, "CPU by thread (jdk.ThreadCPULoad every 10 s, CPU ms, the first 10 s of each thread missing; "
                    + "includes native code and the kernel; C2/C1 CompilerThread is the JIT compiler; the serial "
                    + "collector runs in the VM Thread, which does not show: see GC above)", cpuMillis, cpuTotal, 20);
            table(out, "Execution samples by thread", threads, samples, 20);
            table(out, "Hottest packages (own samples)", selfPackages, samples, 25);
            table(out, "Hottest methods (own samples)", selfMethods, samples, 40);
            table(out, "Methods anywhere on the stack (inclusive samples)", inclusive, samples, 60);
            table(out, "Project methods (inclusive samples: the method or anything it calls)", projectInclusive,
                    samples, 40);
            tableBytes(out, "Allocation by class (MiB)", allocatedByClass, allocated, 25);
            tableBytes(out, "Allocation by site (first frame outside java.*, jdk.*, sun.*; MiB)", allocatedBySite,
                    allocated, 40);
            tableBytes(out, "Allocation by thread (MiB)", allocatedByThread, allocated, 15);
        }
        Map<String, Double> top = new LinkedHashMap<>();
        long all = samples;
        selfPackages.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(8)
                .forEach(e -> top.put(e.getKey(), Math.round(1000.0 * e.getValue() / Math.max(1, all)) / 10.0));
        return new Profile(recording.toString(), summary.toString(), samples, top);
    }

    /** A thread's name with its numbers replaced ({@code vert.x-eventloop-thread-#}): replicas of a pool together. */
    static String threadGroup(jdk.jfr.consumer.RecordedThread thread) {
        if (thread == null) {
            return "?";
        }
        String name = thread.getJavaName() != null ? thread.getJavaName() : thread.getOSName();
        return name == null ? "?" : name.replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}", "<uuid>").replaceAll("\\d+", "#");
    }

    /** The first frame outside the JDK, with the JDK frame under it: where the application allocated. */
    static String allocationSite(RecordedStackTrace stack) {
        if (stack == null || stack.getFrames().isEmpty()) {
            return "?";
        }
        String below = null;
        for (RecordedFrame f : stack.getFrames()) {
            String t = f.getMethod().getType().getName();
            String m = t + "." + f.getMethod().getName();
            if (t.startsWith("java.") || t.startsWith("jdk.") || t.startsWith("sun.")) {
                if (below == null) {
                    below = m;
                }
                continue;
            }
            return below == null ? m : m + " > " + below;
        }
        return below;
    }

    private static void tableBytes(PrintWriter out, String title, Map<String, Long> bytes, long total, int limit) {
        out.printf("%n%s%n", title);
        bytes.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()
                .thenComparing(Map.Entry.comparingByKey(Comparator.naturalOrder()))).limit(limit)
                .forEach(e -> out.printf("  %5.1f %%  %9.1f  %s%n", 100.0 * e.getValue() / Math.max(1, total),
                        e.getValue() / 1048576.0, e.getKey()));
    }

    private static void table(PrintWriter out, String title, Map<String, Long> counts, long samples, int limit) {
        out.printf("%n%s%n", title);
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()
                .thenComparing(Map.Entry.comparingByKey(Comparator.naturalOrder()))).limit(limit)
                .forEach(e -> out.printf("  %5.1f %%  %7d  %s%n", 100.0 * e.getValue() / Math.max(1, samples),
                        e.getValue(), e.getKey()));
    }

    /** The first three segments of a class's package: {@code io.vertx.core}, {@code org.apache.kafka}. */
    static String packageOf(String type) {
        String[] parts = type.split("\\.");
        int n = Math.min(3, parts.length - 1);
        return n <= 0 ? type : String.join(".", java.util.Arrays.copyOf(parts, n));
    }
}
