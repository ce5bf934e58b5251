package dev.provisioning.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reads what the Linux kernel counts for a process (proc(5)): CPU time from {@code /proc/<pid>/stat} (utime and
 * stime, plus cutime and cstime for the children the process has waited for) and the peak resident set size from
 * {@code /proc/<pid>/status} (VmHWM). The peak can be reset ({@code echo 5 > /proc/<pid>/clear_refs}), so each
 * scenario reports its own peak.
 */
final class ProcessMeter {

    /** Clock ticks per second ({@code getconf CLK_TCK}); 100 on Linux unless configured otherwise. */
    static final long TICKS_PER_SECOND = ticksPerSecond();

    private ProcessMeter() {
    }

    /**
     * CPU seconds the process has used (user + system).
     *
     * @param withWaitedChildren also count the children it has waited for (a PostgreSQL postmaster reaps its backends)
     * @return 0 when the process is gone
     */
    static double cpuSeconds(long pid, boolean withWaitedChildren) {
        String[] f = statFields(pid);
        if (f == null) {
            return 0;
        }
        // after the ')' of the command name: f[0] is field 3 (state), so field n is f[n - 3]
        long ticks = Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3]);
        if (withWaitedChildren) {
            ticks += Long.parseLong(f[16 - 3]) + Long.parseLong(f[17 - 3]);
        }
        return ticks / (double) TICKS_PER_SECOND;
    }

    /** The peak resident set size in MiB since start or the last {@link #resetPeak}; NaN when the process is gone. */
    static double peakRssMiB(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
            return Double.NaN;
        } catch (NoSuchFileException e) {
            return Double.NaN;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/" + pid + "/status", e);
        }
    }

    /** Resets the peak RSS to the current RSS (proc(5), clear_refs value 5); false when the kernel refuses. */
    static boolean resetPeak(long pid) {
        try {
            Files.writeString(Path.of("/proc", Long.toString(pid), "clear_refs"), "5");
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The children of a process, by id. */
    static List<Long> children(long pid) {
        return ProcessHandle.of(pid).map(p -> p.children().map(ProcessHandle::pid).toList()).orElse(List.of());
    }

    /** The whole machine's CPU counters from {@code /proc/stat}: busy and total jiffies, all cores together. */
    record MachineCpu(long busy, long total) {

        static MachineCpu now() {
            try {
                String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0);
                String[] f = cpu.trim().split("\\s+");
                long total = 0;
                for (int i = 1; i < f.length && i <= 8; i++) {
                    total += Long.parseLong(f[i]);
                }
                long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
                return new MachineCpu(total - idle, total);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read /proc/stat", e);
            }
        }

        /** The share of all cores that was busy between {@code earlier} and this sample, in percent. */
        double busyPercentSince(MachineCpu earlier) {
            long total = this.total - earlier.total;
            return total <= 0 ? 0 : 100.0 * (busy - earlier.busy) / total;
        }
    }

    private static String[] statFields(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/" + pid + "/stat", e);
        }
    }

    private static long ticksPerSecond() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return Long.parseLong(out);
            }
        } catch (IOException | RuntimeException e) {
            // fall through to Linux's default
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 100;
    }
}
