package dev.provisioning.demo;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Restarts the service processes of a {@link LocalSystem} that exit without being asked to, as Kubernetes restarts a
 * crashed container ({@code restartPolicy: Always}, the Deployments in {@code deploy/}): after a back-off of
 * {@link #FIRST_BACKOFF} that doubles with each crash in a row up to {@link #MAX_BACKOFF}, and is reset once the
 * service has been ready for {@link #STABLE_AFTER}. Kubernetes waits 10 s doubling to 5 min and resets after 10 min;
 * a local run should be back in seconds, hence the shorter figures. Each exit is logged with its exit code (137 after
 * {@code kill -9}: 128 + SIGKILL) and each restart with the time it took to be ready again.
 *
 * <p>
 * A process stopped on purpose ({@link ServiceProcess#close()}: the system closing, {@link LocalSystem#restart}) is
 * left alone, and so is one started again by someone else meanwhile. Every replica of every service is watched,
 * replicas added later too. Used by the run command ({@link DemoLauncher}); tests that kill and start services by hand
 * run without it.
 */
public final class Supervisor implements AutoCloseable {

    /** The back-off before the first restart of a crash series. */
    public static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    /** The longest back-off: a service that keeps crashing is tried at least this often. */
    public static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** How long a restarted service must stay up (ready) for its next crash to start a new series at 1 s. */
    public static final Duration STABLE_AFTER = Duration.ofSeconds(60);
    /** How often the processes are looked at: a crash is noticed within this. */
    static final Duration POLL = Duration.ofMillis(250);
    /** How long a restarted service may take to be ready (its JVM starts on a busy two-core machine). */
    static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    /**
     * One restart.
     *
     * @param service the replica's name ({@code scim-writer}, {@code scim-writer-2})
     * @param exitCode the exit code of the process that died
     * @param crashesInARow 1 for the first crash of a series, 2 for a crash within {@link #STABLE_AFTER} of the restart
     *        after it, ...
     * @param backoff the wait before starting it again
     * @param exitedAt when the exit was noticed
     * @param readyAt when the restarted process answered ready, null when it did not (it is tried again)
     * @param pid the restarted process's id
     */
    public record Restart(String service, int exitCode, int crashesInARow, Duration backoff, Instant exitedAt,
            Instant readyAt, long pid) {
    }

    private final LocalSystem system;
    private final Consumer<String> log;
    private final ScheduledExecutorService executor;
    private final Map<ServiceProcess, State> states = new ConcurrentHashMap<>();
    private final List<Restart> restarts = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    /** What the supervisor knows of one replica. Guarded by itself. */
    private static final class State {
        int crashesInARow;
        Instant readySince = Instant.now();
        boolean restarting;
    }

    private Supervisor(LocalSystem system, Consumer<String> log) {
        this.system = system;
        this.log = log;
        AtomicInteger count = new AtomicInteger();
        // the poll and one restart per replica at a time; a restart waits up to READY_TIMEOUT for its service
        this.executor = Executors.newScheduledThreadPool(1 + 2 * LocalSystem.SERVICES.size(), runnable -> {
            Thread thread = new Thread(runnable, "supervisor-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Starts watching every service of {@code system}.
     *
     * @param log where exits and restarts are reported, one line each (the run command prints them)
     */
    public static Supervisor start(LocalSystem system, Consumer<String> log) {
        Supervisor supervisor = new Supervisor(system, log);
        supervisor.executor.scheduleWithFixedDelay(supervisor::poll, 0, POLL.toMillis(), TimeUnit.MILLISECONDS);
        return supervisor;
    }

    /** The restarts so far, oldest first. */
    public List<Restart> restarts() {
        return List.copyOf(restarts);
    }

    /** The back-off before restarting after the {@code crashesInARow}-th crash in a row: 1 s, 2 s, 4 s, ... 30 s. */
    static Duration backoff(int crashesInARow) {
        int doublings = Math.min(Math.max(crashesInARow - 1, 0), 16);
        Duration backoff = FIRST_BACKOFF.multipliedBy(1L << doublings);
        return backoff.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff;
    }

    /** An exit code as a person reads it: 137 is SIGKILL (128 + 9), 143 SIGTERM. */
    static String describe(int exitCode) {
        String signal = switch (exitCode - 128) {
            case 9 -> "SIGKILL";
            case 15 -> "SIGTERM";
            case 6 -> "SIGABRT";
            case 11 -> "SIGSEGV";
            default -> null;
        };
        return exitCode + (signal == null ? "" : " (" + signal + ")");
    }

    private void poll() {
        try {
            for (String name : LocalSystem.SERVICES.keySet()) {
                for (ServiceProcess replica : system.replicas(name)) {
                    check(replica);
                }
            }
        } catch (RuntimeException e) {
            // keep watching: a poll must never end the schedule
            log.accept("supervisor: " + e);
        }
    }

    private void check(ServiceProcess replica) {
        if (closed) {
            return;
        }
        State state = states.computeIfAbsent(replica, r -> new State());
        OptionalInt exit = replica.exitCode();
        Duration backoff;
        int crashes;
        synchronized (state) {
            if (state.restarting) {
                return;
            }
            if (exit.isEmpty()) {
                // running (or never started): a service that stayed up long enough starts its next series at 1 s
                if (state.crashesInARow > 0
                        && Duration.between(state.readySince, Instant.now()).compareTo(STABLE_AFTER) >= 0) {
                    state.crashesInARow = 0;
                }
                return;
            }
            if (replica.stoppedOnPurpose()) {
                return;
            }
            state.crashesInARow++;
            crashes = state.crashesInARow;
            backoff = backoff(crashes);
            state.restarting = true;
        }
        Instant exitedAt = Instant.now();
        log.accept(String.format("%s exited with code %s; restarting in %d s%s", replica.name(),
                describe(exit.getAsInt()), backoff.toSeconds(),
                crashes > 1 ? " (crash " + crashes + " in a row)" : ""));
        executor.schedule(() -> restart(replica, state, exit.getAsInt(), crashes, backoff, exitedAt),
                backoff.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void restart(ServiceProcess replica, State state, int exitCode, int crashes, Duration backoff,
            Instant exitedAt) {
        try {
            // someone closed it or started it meanwhile: not ours to restart
            if (closed || !replica.startAgain()) {
                return;
            }
            long pid = replica.pid();
            try {
                replica.awaitReady(READY_TIMEOUT);
            } catch (IllegalStateException e) {
                if (!closed) {
                    restarts.add(new Restart(replica.name(), exitCode, crashes, backoff, exitedAt, null, pid));
                    log.accept(replica.name() + " did not come back (pid " + pid + "): "
                            + e.getMessage().lines().findFirst().orElse(""));
                }
                return;
            }
            Instant ready = Instant.now();
            synchronized (state) {
                state.readySince = ready;
            }
            restarts.add(new Restart(replica.name(), exitCode, crashes, backoff, exitedAt, ready, pid));
            log.accept(String.format("%s is back (pid %d), ready %.1f s after the exit", replica.name(), pid,
                    Duration.between(exitedAt, ready).toMillis() / 1000.0));
        } catch (RuntimeException e) {
            log.accept("restarting " + replica.name() + " failed: " + e.getMessage());
        } finally {
            synchronized (state) {
                state.restarting = false;
            }
        }
    }

    /** Stops watching (before the system closes its services, which would otherwise look like crashes). */
    @Override
    public void close() {
        closed = true;
        executor.shutdownNow();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
