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
 */
final class SharedLocalSystem implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace
            .create(SharedLocalSystem.class);

    /**
     * The demo's settings and what each class needs, together: a 20 s digest window, sent within a second, of up to
     * 1,000 lines (NotifierRestartIT kills the notifier inside the window; the other classes wait longer than that for
     * their emails); a detector that emits one event at a time (DetectorCrashIT kills it while it emits, and checks
     * that the default claim lease, 30 s, resumes the cycle within a minute of the restart); a writer at 200 requests/s (the crash tests and the larger
     * directories finish in seconds; a class that needs slower progress adds latency in the Druva-compatible server).
     */
    static Map<String, String> environment() {
        Map<String, String> env = new HashMap<>(DemoLauncher.demoEnvironment());
        env.put("NOTIFIER_DIGEST_WINDOW", "20s");
        env.put("NOTIFIER_SEND_INTERVAL", "1s");
        env.put("NOTIFIER_MAX_LINES", "1000");
        env.put("DETECTOR_EMIT_CONCURRENCY", "1");
        env.put("WRITER_RATE_LIMIT_PER_SECOND", "200");
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
        return parameter.getParameter().getType() == LocalSystem.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return system(context);
    }

    private static LocalSystem system(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE).computeIfAbsent(LocalSystem.class, key -> {
            Path home = LocalSystem.findHome();
            return LocalSystem.start(home, home.resolve("demo-launcher/target/it/logs"),
                    DruvaScimServer.Options.defaults(), environment());
        }, LocalSystem.class);
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
