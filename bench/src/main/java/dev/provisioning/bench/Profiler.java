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

    /** Writes {@code <name>.txt} beside the recording and returns the figures for the report. */
    static Profile summarise(Path recording) throws IOException {
        Map<String, Long> selfMethods = new HashMap<>();
        Map<String, Long> selfPackages = new HashMap<>();
        Map<String, Long> projectInclusive = new HashMap<>();
        long samples = 0;
        try (RecordingFile file = new RecordingFile(recording)) {
            while (file.hasMoreEvents()) {
                RecordedEvent event = file.readEvent();
                if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
                    continue;
                }
                RecordedStackTrace stack = event.getStackTrace();
                if (stack == null || stack.getFrames().isEmpty()) {
                    continue;
                }
                samples++;
                RecordedFrame top = stack.getFrames().get(0);
                String type = top.getMethod().getType().getName();
                selfMethods.merge(type + "." + top.getMethod().getName(), 1L, Long::sum);
                selfPackages.merge(packageOf(type), 1L, Long::sum);
                Set<String> seen = new HashSet<>();
                for (RecordedFrame f : stack.getFrames()) {
                    String t = f.getMethod().getType().getName();
                    if (t.startsWith("dev.provisioning.")) {
                        String m = t + "." + f.getMethod().getName();
                        if (seen.add(m)) {
                            projectInclusive.merge(m, 1L, Long::sum);
                        }
                    }
                }
            }
        }
        Path summary = recording.resolveSibling(recording.getFileName().toString().replace(".jfr", ".txt"));
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(summary))) {
            out.printf("%s: %d execution samples (jdk.ExecutionSample, settings=profile)%n", recording.getFileName(),
                    samples);
            table(out, "Hottest packages (own samples)", selfPackages, samples, 20);
            table(out, "Hottest methods (own samples)", selfMethods, samples, 40);
            table(out, "Project methods (inclusive samples: the method or anything it calls)", projectInclusive,
                    samples, 40);
        }
        Map<String, Double> top = new LinkedHashMap<>();
        long all = samples;
        selfPackages.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(8)
                .forEach(e -> top.put(e.getKey(), Math.round(1000.0 * e.getValue() / Math.max(1, all)) / 10.0));
        return new Profile(recording.toString(), summary.toString(), samples, top);
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
