package dev.provisioning.demo;

import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.druva.DruvaScimServer;

/**
 * One {@link LocalSystem} for every end-to-end test class of the test JVM: starting Kafka, PostgreSQL, SMTP, the
 * Druva-compatible server and the four services takes half a minute, so the first class starts it and the others
 * reuse it. It lives in the root store of the test run, which closes it (it is {@link AutoCloseable}) when the last
 * class has run.
 *
 * <p>
 * A class registers it with {@code @ExtendWith(SharedLocalSystem.class)} and takes the system as a parameter of its
 * {@code @BeforeAll} method. Before each class it gives the class a clean slate: every job of the earlier classes is
 * paused and their cycles are left to finish (so no late request reaches the Druva-compatible server), a service an
 * earlier class left dead is started again, the Druva-compatible server is emptied (users, groups, request log) and
 * back to its default settings (a class sets its own latency), and the mailbox is emptied. Each class creates its own
 * jobs and reads its own job's records from Kafka and the services' APIs.
 *
 * <p>
 * The services run with tracing on, exporting to a {@link TraceCollector} in this JVM ({@link #traces}), as an
 * operator turns it on: so every class also runs the traced code paths, and TracingEndToEndIT reads one object's trace.
 */
final class SharedLocalSystem implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace
            .create(SharedLocalSystem.class);

    /**
     * The demo's settings and what each class needs, together: a 20 s digest window, sent within a second, of up to
     * 1,000 lines (NotifierRestartIT kills the notifier inside the window; the other classes wait longer than that for
     * their emails); a detector that emits one event at a time (DetectorCrashIT kills it while it emits, and checks
     * that the default claim lease, 30 s, resumes the cycle within a minute of the restart); a writer at 200
     * requests/s (the crash tests and the larger directories finish in seconds; a class that needs slower progress adds
     * latency in the Druva-compatible server); the detector's per-job gauges read every 5 s (MetricsEndToEndIT scrapes
     * them after one job's cycle); a Kafka consumer session of 6 s (the broker's minimum; heartbeats every second):
     * a killed service's partitions move to its restarted successor 6 s after the kill instead of the run command's
     * 10 s ({@code LocalSystem.LOCAL_TUNING}; Kafka's default, which deployments keep, is 45 s). The crash tests kill
     * services 14 times, and each restart waited out the rest of the dead member's session.
     */
    static Map<String, String> environment(TraceCollector traces) {
        Map<String, String> env = new HashMap<>(DemoLauncher.demoEnvironment());
        env.putAll(traces.serviceEnvironment());
        env.put("NOTIFIER_DIGEST_WINDOW", "20s");
        env.put("NOTIFIER_SEND_INTERVAL", "1s");
        env.put("NOTIFIER_MAX_LINES", "1000");
        env.put("DETECTOR_EMIT_CONCURRENCY", "1");
        env.put("WRITER_RATE_LIMIT_PER_SECOND", "200");
        env.put("DETECTOR_HOUSEKEEPING_INTERVAL", "5s");
        env.put("KAFKA_SESSION_TIMEOUT_MS", "6000");
        return env;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        LocalSystem system = system(context);
        restartDeadServices(system);
        pauseEarlierJobs(system);
        system.druva().reset();
        system.druva().settings(s -> DruvaScimServer.Options.defaults().token(s.token()));
        system.stack().smtp().purge();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == LocalSystem.class
                || parameter.getParameter().getType() == TraceCollector.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TraceCollector.class ? traces(context) : system(context);
    }

    private static LocalSystem system(ExtensionContext context) {
        // the collector first: the store closes its values in reverse order, the services before their collector
        TraceCollector traces = traces(context);
        return context.getRoot().getStore(NAMESPACE).computeIfAbsent(LocalSystem.class, key -> {
            return LocalSystem.start(LocalSystem.findHome(), work("it/logs"),
                    DruvaScimServer.Options.defaults(), environment(traces));
        }, LocalSystem.class);
    }

    /**
     * Where an end-to-end test class keeps its files: {@code name} under its module's {@code target} folder (the
     * system property {@code provisioning.e2e-work}, set by the module's failsafe configuration), else under
     * {@code demo-launcher/target}. The two end-to-end modules run at the same time, each with its own system: their
     * services' logs and directory files must not share a folder.
     */
    static Path work(String name) {
        String configured = System.getProperty("provisioning.e2e-work", "");
        Path target = configured.isBlank()
                ? LocalSystem.findHome().resolve("demo-launcher/target")
                : Path.of(configured);
        return target.toAbsolutePath().resolve(name);
    }

    /** The spans the shared system's services exported (they run with tracing on). */
    static TraceCollector traces(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE).computeIfAbsent(TraceCollector.class,
                key -> TraceCollector.start(), TraceCollector.class);
    }

    /** A test that failed between killing a service and starting it again leaves it dead: start it. */
    private static void restartDeadServices(LocalSystem system) {
        List<ServiceProcess> dead = LocalSystem.SERVICES.keySet().stream().map(system::service)
                .filter(s -> !s.isAlive()).toList();
        dead.forEach(ServiceProcess::start);
        dead.forEach(s -> s.awaitReady(Waits.OUTCOME));
    }

    /**
     * Pauses every job (some run a cycle every few seconds) and waits until none has a cycle running or waiting for
     * results. A cycle that never completes (an earlier class failed) is reported and left alone.
     */
    static void pauseEarlierJobs(LocalSystem system) {
        JobsClient jobs = system.jobs();
        List<String> ids = new ArrayList<>();
        for (JsonNode job : jobs.list()) {
            String id = job.path("id").asText();
            ids.add(id);
            if (!"PAUSED".equals(job.path("state").asText())) {
                jobs.pause(id);
            }
        }
        try {
            await("the cycles of the earlier classes' jobs to finish").atMost(Waits.OUTCOME)
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> ids.stream().noneMatch(id -> cycleUnderway(jobs.status(id))));
        } catch (ConditionTimeoutException e) {
            System.err.println("SharedLocalSystem: " + e.getMessage() + "; going on with the next class");
        }
    }

    private static boolean cycleUnderway(JsonNode status) {
        String cycle = status.path("currentCycle").path("status").asText("");
        return cycle.equals("RUNNING") || cycle.equals("IN_PROGRESS");
    }
}
