package dev.provisioning.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU time and peak RSS of every process of the system over one scenario: each service (all its replicas together),
 * the launcher (this JVM: the Kafka broker, the Druva-compatible server, and the benchmark's own polling) and
 * PostgreSQL (the postmaster with every backend, also those that have exited).
 */
final class UsageMeter {

    /** The launcher's name in the report. */
    static final String LAUNCHER = "launcher";
    /** PostgreSQL's name in the report. */
    static final String POSTGRES = "postgres";

    /**
     * One process.
     *
     * @param name the service it belongs to ({@link #LAUNCHER}, {@link #POSTGRES} or a service name)
     * @param postmaster whether it is PostgreSQL's postmaster (its CPU includes its backends')
     */
    record Participant(String name, long pid, boolean postmaster) {
    }

    /**
     * What one service used.
     *
     * @param processes how many processes (replicas) were measured
     * @param cpuSeconds user + system CPU seconds, every process together
     * @param peakRssMiB the largest peak RSS of one of its processes (null for PostgreSQL, whose shared buffers make a
     *        per-process figure meaningless)
     */
    record Usage(int processes, double cpuSeconds, Double peakRssMiB) {
    }

    private final List<Participant> participants;
    private final Map<Participant, Double> startCpu = new LinkedHashMap<>();
    private final Map<Participant, Double> endCpu = new LinkedHashMap<>();
    private ProcessMeter.MachineCpu machineStart;
    private ProcessMeter.MachineCpu machineEnd;
    private long startNanos;
    private long endNanos;

    UsageMeter(List<Participant> participants) {
        this.participants = List.copyOf(participants);
    }

    /** Resets every peak RSS and takes the first CPU sample. */
    void start() {
        participants.forEach(p -> {
            if (!p.postmaster()) {
                ProcessMeter.resetPeak(p.pid());
            }
        });
        participants.forEach(p -> startCpu.put(p, cpu(p)));
        machineStart = ProcessMeter.MachineCpu.now();
        startNanos = System.nanoTime();
    }

    /** Takes the last CPU sample (call when the measured work is done). */
    void stop() {
        participants.forEach(p -> endCpu.put(p, cpu(p)));
        machineEnd = ProcessMeter.MachineCpu.now();
        endNanos = System.nanoTime();
    }

    /** What each service used between {@link #start} and {@link #stop}, peaks read now. */
    Map<String, Usage> usage() {
        Map<String, List<Participant>> byName = new LinkedHashMap<>();
        participants.forEach(p -> byName.computeIfAbsent(p.name(), k -> new ArrayList<>()).add(p));
        Map<String, Usage> usage = new LinkedHashMap<>();
        byName.forEach((name, processes) -> {
            double cpu = 0;
            Double peak = null;
            for (Participant p : processes) {
                cpu += Math.max(0, endCpu.get(p) - startCpu.get(p));
                if (!p.postmaster()) {
                    double rss = ProcessMeter.peakRssMiB(p.pid());
                    if (!Double.isNaN(rss)) {
                        peak = peak == null ? rss : Math.max(peak, rss);
                    }
                }
            }
            usage.put(name, new Usage(processes.size(), cpu, peak));
        });
        return usage;
    }

    /** The share of the whole machine (all cores) that was busy, in percent. */
    double machineBusyPercent() {
        return machineEnd.busyPercentSince(machineStart);
    }

    double seconds() {
        return (endNanos - startNanos) / 1e9;
    }

    private static double cpu(Participant p) {
        if (!p.postmaster()) {
            return ProcessMeter.cpuSeconds(p.pid(), false);
        }
        double cpu = ProcessMeter.cpuSeconds(p.pid(), true);
        for (long child : ProcessMeter.children(p.pid())) {
            cpu += ProcessMeter.cpuSeconds(child, false);
        }
        return cpu;
    }
}
