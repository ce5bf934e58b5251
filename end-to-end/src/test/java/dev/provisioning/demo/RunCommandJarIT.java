package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The README's run command itself, as a user types it once the package is built: {@code java -jar
 * demo-launcher/target/demo-launcher.jar --exit}, the packaged jar in its own JVM with only its manifest's class path
 * ({@code lib/}, the runtime scope), from the project's root. Every other end-to-end class runs the launcher's code
 * on the test class path, which holds the test-scoped libraries too: on 2026-12-04 a test-scoped dependency in
 * {@code demo-launcher/pom.xml} shadowed the PostgreSQL driver the jar needs at run time, the jar failed at start
 * ({@code ClassNotFoundException: PGSimpleDataSource}) and every test stayed green.
 *
 * <p>
 * What a user sees: the system starts ("Ready in"), the demo job's first cycle is summarised with the README's counts
 * (created 245, skipped 31, failed 15, worked out from the shipped directory by {@link DemoDirectoryExpectations}),
 * Druva holds the 240 users and 5 groups, the digest email to the job's notification address lists the 15 failures,
 * the run stops by itself ({@code --exit}: "Stopped in", exit code 0), and the four services' logs
 * ({@code demo-launcher/target/demo/logs/}) hold no WARN or ERROR line from the start through the clean stop.
 * Druva's simulated latency is 0 ({@code --latency-ms 0}) to keep it short: the class takes about 55 s.
 */
class RunCommandJarIT {

    /** Start (about 20 s on 2 cores), the first cycle and the stop, with room for a slow machine. */
    static final long RUN_LIMIT_SECONDS = 300;
    static final Pattern SUMMARY = Pattern.compile("(?m)^Cycle \\S+ completed in [\\d.]+ s: (\\d+) objects\\R"
            + "  created (\\d+) \\| updated (\\d+) \\| disabled (\\d+) \\| deleted (\\d+) \\| skipped (\\d+) \\| "
            + "failed (\\d+)$");

    @Test
    void theReadmesRunCommandStartsProvisionsTheDemoAndStopsCleanly() throws Exception {
        Path home = LocalSystem.findHome();
        Path jar = home.resolve("demo-launcher/target/demo-launcher.jar");
        assertThat(jar).as("the run command's jar (built by the package phase)").isRegularFile();
        Path work = home.resolve("demo-launcher/target/demo");
        Path logs = work.resolve("logs");
        deleteRecursively(logs); // the services append to their logs: only this run's lines are read
        Path out = SharedLocalSystem.work("it-run-command/output.txt");
        Files.createDirectories(out.getParent());
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");

        Process run = new ProcessBuilder(java.toString(), "-jar", jar.toString(), "--exit", "--latency-ms", "0")
                .directory(home.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean ended;
        try {
            ended = run.waitFor(RUN_LIMIT_SECONDS, TimeUnit.SECONDS);
        } finally {
            if (run.isAlive()) {
                run.destroy(); // SIGTERM: the run command's own stop, services and stack included
                if (!run.waitFor(60, TimeUnit.SECONDS)) {
                    run.destroyForcibly();
                }
            }
        }
        String printed = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(ended).as("the run command ended by itself within %d s; it printed:%n%s", RUN_LIMIT_SECONDS, printed)
                .isTrue();
        assertThat(run.exitValue()).as("the run command's exit code; it printed:%n%s", printed).isZero();
        assertThat(printed).as("what the run command printed").contains("Ready in").doesNotContain("Exception")
                .containsPattern("Created job \\S+: provisioning .*directory\\.json")
                .contains("Stopping the services, then Kafka, PostgreSQL and SMTP...").containsPattern("Stopped in ");

        DemoDirectoryExpectations expected = DemoDirectoryExpectations.of(work.resolve("directory.json"));
        Matcher summary = SUMMARY.matcher(printed);
        assertThat(summary.find()).as("the first cycle's summary in:%n%s", printed).isTrue();
        assertThat(summary.group(2)).as("created").isEqualTo(String.valueOf(expected.createdObjects()));
        assertThat(summary.group(3)).as("updated").isEqualTo("0");
        assertThat(summary.group(5)).as("deleted").isEqualTo("0");
        assertThat(summary.group(6)).as("skipped").isEqualTo(String.valueOf(expected.skippedObjects()));
        assertThat(summary.group(7)).as("failed").isEqualTo(String.valueOf(expected.failedWithoutMail().size()));
        int failed = expected.failedWithoutMail().size();
        assertThat(printed).as("Druva's content and the digest email after the summary")
                .contains(String.format("Druva now holds %d users (%d active) and %d groups", expected.created().size(),
                        expected.created().size(), expected.groups().size()))
                .containsPattern("email to \\[admin@contoso\\.example\\]: \".*: " + failed
                        + " failures \\(MandatoryFieldsMissing " + failed
                        + "\\)\" \\(whole text: .*mail-\\d{3}\\.txt\\)");
        // the digest's whole text, saved where the printed line says: every failed user by name, with its code
        Matcher digest = Pattern
                .compile("MandatoryFieldsMissing " + failed + "\\)\" \\(whole text: (.*mail-\\d{3}\\.txt)\\)")
                .matcher(printed);
        assertThat(digest.find()).isTrue();
        String text = Files.readString(Path.of(digest.group(1)), StandardCharsets.UTF_8);
        assertThat(text).as("the saved digest").startsWith("To: admin@contoso.example\nSubject: ")
                .contains("MandatoryFieldsMissing");
        assertThat(expected.failedWithoutMail()).as("each failed user in the saved digest, by display name")
                .allSatisfy(upn -> assertThat(text).contains(expected.displayNames().get(upn)));

        List<String> noisy = new ArrayList<>();
        for (String service : LocalSystem.SERVICES.keySet()) {
            Path log = logs.resolve(service + ".log");
            assertThat(log).as("the %s's log", service).isRegularFile();
            ServiceLogs.faults(Files.readAllLines(log, StandardCharsets.UTF_8))
                    .forEach(l -> noisy.add(service + ": " + l));
        }
        assertThat(noisy).as("WARN and ERROR lines of the four services, from the start through the stop").isEmpty();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(p);
            }
        }
    }
}
