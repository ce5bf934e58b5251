package dev.provisioning.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * One packaged Quarkus service ({@code <module>/target/quarkus-app/quarkus-run.jar}) running as a child process, with
 * its output in a log file, listening on loopback only: its API on one port, its management interface (health,
 * metrics, OpenAPI) on another. It can be killed (as a crash would) and started again on the same ports.
 *
 * <p>
 * The JVM flags are chosen by the caller: {@link LocalSystem#LAUNCHER_JVM_OPTIONS} for the run command and the
 * end-to-end tests, {@link LocalSystem#DEPLOYMENT_JVM_OPTIONS} for the benchmark.
 */
public final class ServiceProcess implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ServiceProcess.class.getName());
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** Where the services listen. */
    static final String HOST = "127.0.0.1";

    private final String name;
    private final Path jar;
    private final int port;
    private final int managementPort;
    private final Map<String, String> environment;
    private final List<String> jvmOptions;
    private final Path logFile;
    private Process process;
    /** Set by {@link #close()}, cleared by {@link #start()}: an exit that was asked for (see {@link Supervisor}). */
    private volatile boolean stoppedOnPurpose;

    /** A service with the launcher's JVM flags ({@link LocalSystem#LAUNCHER_JVM_OPTIONS}). */
    public ServiceProcess(String name, Path jar, int port, int managementPort, Map<String, String> environment,
            Path logDirectory) {
        this(name, jar, port, managementPort, environment, logDirectory, LocalSystem.LAUNCHER_JVM_OPTIONS);
    }

    /**
     * @param name the service's name, also the name of its log file ({@code <name>.log})
     * @param port the API's port
     * @param managementPort the management interface's port (health, metrics, OpenAPI)
     * @param jvmOptions flags for the {@code java} command, before {@code -jar}
     */
    public ServiceProcess(String name, Path jar, int port, int managementPort, Map<String, String> environment,
            Path logDirectory, List<String> jvmOptions) {
        this.name = name;
        this.jar = jar;
        this.port = port;
        this.managementPort = managementPort;
        this.environment = Map.copyOf(environment);
        this.jvmOptions = List.copyOf(jvmOptions);
        this.logFile = logDirectory.resolve(name + ".log");
    }

    /**
     * The same service (name, ports, log, JVM flags) with some environment variables changed, not started. Stop this
     * one first: both use the same ports.
     */
    public ServiceProcess withEnvironment(Map<String, String> changes) {
        Map<String, String> changed = new LinkedHashMap<>(environment);
        changed.putAll(changes);
        return new ServiceProcess(name, jar, port, managementPort, changed, logFile.getParent(), jvmOptions);
    }

    /** Starts the process (appending to its log file). */
    public synchronized ServiceProcess start() {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(
                    name + " is not built: " + jar + " is missing (run ./mvnw package -DskipTests)");
        }
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        LaunchEnvironment launch = launchEnvironment(builder.environment());
        launch.warnings().forEach(warning -> LOG.log(System.Logger.Level.WARNING, warning));
        builder.environment().clear();
        builder.environment().putAll(launch.variables());
        try {
            Files.createDirectories(logFile.getParent());
            stoppedOnPurpose = false;
            process = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + name, e);
        }
        return this;
    }

    /**
     * Starts the process again after it exited by itself (a crash), unless it was stopped on purpose ({@link #close()})
     * or runs: checked and started under one lock, so a restart never undoes a stop that came after its decision (the
     * system stopping while the {@link Supervisor} waited out a back-off).
     *
     * @return whether it was started
     */
    public synchronized boolean startAgain() {
        if (stoppedOnPurpose || isAlive()) {
            return false;
        }
        start();
        return true;
    }

    /**
     * The environment a start gives the process, and what it refused: the launcher's own environment ({@code
     * inherited}), then glibc's malloc settings as {@code deploy/Dockerfile}'s {@code ENV}
     * ({@link LocalSystem#DEPLOYMENT_MALLOC_ENVIRONMENT}), then this service's {@link #environment()}, then its ports
     * and loopback host. A malloc setting ({@code MALLOC_*}, {@code GLIBC_TUNABLES}) that only the launcher's
     * environment has is dropped, and one that differs from the deployment's is replaced by it, each with a warning: a
     * variable left over in a shell would otherwise change a benchmark's memory figures unseen. To measure other
     * settings, put them in the service's environment ({@link LocalSystem.Options#environment(Map)} or
     * {@link LocalSystem.Options#serviceEnvironment(String, Map)}): those win, without a warning.
     *
     * @param inherited the launcher's environment (a started process's default)
     */
    LaunchEnvironment launchEnvironment(Map<String, String> inherited) {
        Map<String, String> variables = new LinkedHashMap<>(inherited);
        List<String> warnings = new ArrayList<>();
        for (Map.Entry<String, String> variable : inherited.entrySet()) {
            String key = variable.getKey();
            String deployment = LocalSystem.DEPLOYMENT_MALLOC_ENVIRONMENT.get(key);
            if (!isMallocSetting(key) || environment.containsKey(key) || variable.getValue().equals(deployment)) {
                continue;
            }
            variables.remove(key);
            warnings.add(name + ": ignoring " + key + "=" + variable.getValue() + " from the launcher's environment ("
                    + (deployment == null ? "the deployment does not set it" : "the deployment's is " + deployment)
                    + "); to measure it, set it in the service's environment (LocalSystem.Options.environment)");
        }
        variables.putAll(LocalSystem.DEPLOYMENT_MALLOC_ENVIRONMENT);
        variables.putAll(environment);
        variables.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        variables.put("QUARKUS_MANAGEMENT_PORT", String.valueOf(managementPort));
        // loopback only: nothing on this machine's other interfaces (deployments choose QUARKUS_HTTP_HOST themselves)
        variables.put("QUARKUS_HTTP_HOST", HOST);
        variables.put("QUARKUS_MANAGEMENT_HOST", HOST);
        return new LaunchEnvironment(Map.copyOf(variables), List.copyOf(warnings));
    }

    /**
     * Whether a variable tunes glibc's malloc: {@code MALLOC_*} (e.g. {@code MALLOC_ARENA_MAX}) or
     * {@code GLIBC_TUNABLES}.
     */
    static boolean isMallocSetting(String variable) {
        return variable.startsWith("MALLOC_") || variable.equals("GLIBC_TUNABLES");
    }

    /**
     * A process's environment and the launcher's malloc settings left out of it, one sentence each.
     *
     * @see #launchEnvironment(Map)
     */
    record LaunchEnvironment(Map<String, String> variables, List<String> warnings) {
    }

    /** Waits until {@code /q/health/ready} answers 200 on the management port, or fails with the end of the log. */
    public void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + tail(30));
            }
            try {
                HttpResponse<Void> response = HTTP
                        .send(HttpRequest.newBuilder(URI.create(managementUrl() + "/q/health/ready"))
                                .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + name, e);
            }
            pause(250);
        }
        throw new IllegalStateException(name + " was not ready within " + timeout + ":\n" + tail(30));
    }

    /** Kills the process at once, as a crash would (no graceful shutdown). */
    public synchronized void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            waitFor();
        }
    }

    /** Stops the process gracefully. */
    @Override
    public synchronized void close() {
        stoppedOnPurpose = true;
        if (process != null && process.isAlive()) {
            process.destroy();
            waitFor();
        }
    }

    public String name() {
        return name;
    }

    /** The service's API. */
    public String url() {
        return "http://" + HOST + ":" + port;
    }

    /** The service's management interface: {@code /q/health}, {@code /q/metrics}, {@code /q/openapi}. */
    public String managementUrl() {
        return "http://" + HOST + ":" + managementPort;
    }

    /** The environment the service starts with (besides {@code QUARKUS_HTTP_PORT}). */
    public Map<String, String> environment() {
        return environment;
    }

    /** The flags given to {@code java} before {@code -jar}. */
    public List<String> jvmOptions() {
        return jvmOptions;
    }

    /**
     * The operating system's id of the process last started (for {@code /proc/<pid>}, {@code jcmd <pid>}).
     *
     * @throws IllegalStateException when it was never started
     */
    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException(name + " was never started");
        }
        return process.pid();
    }

    public Path logFile() {
        return logFile;
    }

    /**
     * The exit code of the process last started once it has exited (137 after {@code kill -9}: 128 + the signal);
     * empty while it runs or when it was never started.
     */
    public synchronized OptionalInt exitCode() {
        return process == null || process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
    }

    /** Whether the process was stopped by {@link #close()} (and not started since): an exit nobody should undo. */
    public boolean stoppedOnPurpose() {
        return stoppedOnPurpose;
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** The last lines of the log, for error messages. */
    public String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private void waitFor() {
        try {
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
