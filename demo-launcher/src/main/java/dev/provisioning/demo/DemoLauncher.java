package dev.provisioning.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.localstack.LocalIssuer;
import dev.provisioning.localstack.LocalSmtp;

/**
 * The run command: starts the whole system on the embedded default, provisions the demo directory into the
 * Druva-compatible server, prints progress and a summary, then keeps running (incremental cycles pick up edits to the
 * directory file) until Ctrl-C.
 *
 * <p>
 * Options: {@code --directory FILE} (default: the shipped demo directory, copied to
 * {@code demo-launcher/target/demo/directory.json}), {@code --latency-ms N} (Druva's simulated latency, default 50),
 * {@code --exit} (stop after the first cycle's summary).
 */
public final class DemoLauncher {

    /** How long a completed cycle's completion time is waited for before its summary is printed without it. */
    static final Duration COMPLETION_WAIT = Duration.ofSeconds(10);

    private final PrintStream out;
    /** Emails already printed ({@link #printNewMails}): each is printed once, as it arrives. */
    private int mailsShown;
    /** Emails printed when the cycle being waited for was first seen: a failed cycle's summary waits for one more. */
    private int mailsWhenCycleSeen;
    /** Where each email's whole text is saved ({@code mail-001.txt}, ...), or null: not saved. */
    private Path mailDir;

    DemoLauncher(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = parse(args);
        new DemoLauncher(System.out).run(options);
    }

    void run(Map<String, String> options) throws Exception {
        long started = System.nanoTime();
        Path home = LocalSystem.findHome();
        Path work = home.resolve("demo-launcher/target/demo");
        Path directory = options.containsKey("directory")
                ? Path.of(options.get("directory")).toAbsolutePath()
                : extractDemoDirectory(work.resolve("directory.json"));
        int latency = Integer.parseInt(options.getOrDefault("latency-ms", "50"));

        out.println(
                "Starting Kafka (KRaft), PostgreSQL, SMTP, the Druva-compatible SCIM server and the four services...");
        LocalSystem system = LocalSystem.start(home, work.resolve("logs"),
                DruvaScimServer.Options.defaults().latency(Duration.ofMillis(latency)), demoEnvironment());
        // as Kubernetes would: a service that dies is started again (with back-off), and the run goes on
        Supervisor supervisor = Supervisor.start(system, line -> out.println("  [supervisor] " + line));
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean stopping = new AtomicBoolean();
        // Ctrl-C, SIGTERM or --exit: the supervisor first (a service stopping is no crash), then the services, then
        // the infrastructure (LocalSystem.close; the stack's own hook keeps that order too). A terminal's Ctrl-C also
        // reaches the services (same process group), which then stop by themselves: PostgreSQL runs in its own
        // session and stays until they are down.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            out.println("\nStopping the services, then Kafka, PostgreSQL and SMTP...");
            long stopStarted = System.nanoTime();
            supervisor.close();
            system.close();
            out.printf("Stopped in %.1f s.%n", seconds(stopStarted));
            stopped.countDown();
        }, "demo-stop"));
        out.printf("Ready in %.1f s. Logs in %s%n", seconds(started), work.resolve("logs"));
        String api = system.service("change-detector").url();
        out.printf("  jobs API        %s/jobs   (OpenAPI: %s/q/openapi)%n", api,
                system.service("change-detector").managementUrl());
        out.printf("  Druva (local)   %s   (inspect: %s/_admin/users)%n", system.druva().baseUrl(),
                system.druva().baseUrl().replace(DruvaScimServer.BASE_PATH, ""));
        out.printf("  management      /q/health, /q/metrics, /q/openapi of each service (loopback only):%n");
        for (String name : LocalSystem.SERVICES.keySet()) {
            out.printf("                  %-16s %s%n", name, system.service(name).managementUrl());
        }
        out.printf("  supervised      a service that exits is restarted after %d s, doubling to %d s%n",
                Supervisor.FIRST_BACKOFF.toSeconds(), Supervisor.MAX_BACKOFF.toSeconds());
        Path adminToken = writeTokens(system, work);
        out.printf("%nAn administrator's access token for this run (Provisioning.Admin, valid %d h) is in %s:%n",
                LocalSystem.ADMIN_TOKEN_LIFETIME.toHours(), adminToken);
        out.printf("  %s%n", system.adminToken());
        out.printf("Try: curl -H \"Authorization: Bearer $(cat %s)\" %s/jobs%n", adminToken, api);
        out.printf("(operator-token and reader-token are next to it; the issuer's keys too.)%n");
        out.printf(
                "%nOperator console (signs the local administrator in; the token stays in the browser tab):%n  %s%n%n",
                consoleUrl(api, system.adminToken()));

        mailDir = work.resolve("mails");
        try (var old = Files.list(Files.createDirectories(mailDir))) { // this run's emails only
            for (Path file : (Iterable<Path>) old::iterator) {
                Files.deleteIfExists(file);
            }
        }
        JsonNode first = provision(system, directory, options.containsKey("exit"), stopping::get);
        if (options.containsKey("exit") && first != null) {
            System.exit(first.path("summary").path("failed").asLong() >= 0 ? 0 : 1);
        }
        stopped.await(); // Ctrl-C: the services are going away; let the shutdown finish quietly
    }

    /**
     * What the run command does on a running, supervised system: creates the demo job for {@code directory}, prints
     * the first cycle's progress and summary, then (unless {@code firstCycleOnly}) the summary of every later cycle
     * that sent something, until {@code stopping} says so. A service that is down (a crash the {@link Supervisor} is
     * restarting, the change-detector's API included) pauses the printing; it never ends it.
     *
     * @return the first cycle (completed or failed), or null when stopped before it ended
     */
    JsonNode provision(LocalSystem system, Path directory, boolean firstCycleOnly, BooleanSupplier stopping) {
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("name", "Druva (demo)");
        job.put("tenantUrl", system.druva().baseUrl());
        job.put("secretToken", system.druvaToken());
        job.put("notificationEmail", "admin@contoso.example");
        job.put("notifyOnFailure", true);
        job.put("provisioningStatus", "On");
        job.put("cycleInterval", "PT30S");
        job.put("source", Map.of("type", "DIRECTORY_FILE", "directoryFile", directory.toString()));
        JobsClient jobs = system.jobs();
        String jobId = jobs.create(job);
        out.printf("Created job %s: provisioning %s%n", jobId, directory);

        JsonNode cycle = awaitCycle(system, jobId, null, true, stopping);
        if (cycle == null) {
            return null;
        }
        printSummary(cycle, system);
        if (firstCycleOnly) {
            return cycle;
        }
        out.printf("%nRunning until Ctrl-C. Edit %s to see incremental cycles (a saved change starts one within a "
                + "second; one also runs every 30 s).%n", directory);
        String last = cycle.path("cycleId").asText();
        while (!stopping.getAsBoolean()) {
            JsonNode next = awaitCycle(system, jobId, last, false, stopping);
            if (next == null) {
                break;
            }
            if (next.path("eventsEmitted").asInt() > 0) {
                printSummary(next, system);
            }
            last = next.path("cycleId").asText();
        }
        return cycle;
    }

    /**
     * Waits for the first cycle that started after {@code previous} (any cycle when null) to complete, printing its
     * progress every few seconds when {@code verbose}, and every email as it arrives ({@link #printNewMails}: a
     * quarantine's, a digest's, while no cycle completes too). While the jobs API does not answer (the change-detector
     * is down and being restarted) it says so once and keeps waiting. Returns null once {@code stopping}.
     */
    private JsonNode awaitCycle(LocalSystem system, String jobId, String previous, boolean verbose,
            BooleanSupplier stopping) {
        JobsClient jobs = system.jobs();
        String cycleId = null;
        String lastLine = "";
        long lastPrinted = 0;
        boolean unavailable = false;
        long completedSeen = 0;
        while (true) {
            if (stopping.getAsBoolean()) {
                return null;
            }
            printNewMails(system);
            JsonNode status;
            try {
                status = jobs.status(jobId);
            } catch (IllegalStateException e) {
                if (stopping.getAsBoolean()) {
                    return null;
                }
                if (!unavailable) {
                    out.println("  (the jobs API does not answer: " + e.getMessage() + "; waiting for it)");
                    unavailable = true;
                }
                ServiceProcess.pause(1000);
                continue;
            }
            if (unavailable) {
                out.println("  (the jobs API answers again)");
                unavailable = false;
            }
            List<JsonNode> cycles = new ArrayList<>();
            status.path("recentCycles").forEach(cycles::add); // newest first
            JsonNode cycle = null;
            if (cycleId != null) {
                String id = cycleId;
                cycle = cycles.stream().filter(c -> c.path("cycleId").asText().equals(id)).findFirst().orElse(null);
            } else {
                int index = cycles.size();
                for (int i = 0; i < cycles.size(); i++) {
                    if (cycles.get(i).path("cycleId").asText().equals(previous)) {
                        index = i;
                    }
                }
                cycle = index > 0 ? cycles.get(index - 1) : null;
            }
            if (cycle != null) {
                if (cycleId == null) {
                    mailsWhenCycleSeen = mailsShown;
                }
                cycleId = cycle.path("cycleId").asText();
                String state = cycle.path("status").asText();
                JsonNode s = cycle.path("summary");
                String line = String.format(
                        "  cycle %s (%s): %d/%s, %d%% | created %d, updated %d, disabled %d, "
                                + "skipped %d, failed %d",
                        cycleId.substring(0, 8),
                        cycle.path("fullCycle").asBoolean() ? "full" : "incremental",
                        cycle.path("resultsReceived").asLong(),
                        count(cycle.path("eventsEmitted").asInt(), "object"),
                        cycle.path("progressPercent").asInt(),
                        s.path("created").asLong(),
                        s.path("updated").asLong(), s.path("disabled").asLong(), s.path("skipped").asLong(),
                        s.path("failed").asLong());
                // a completed cycle's completedAt (its durationMillis) is recorded a moment after its last result:
                // waited for, up to COMPLETION_WAIT, so that the summary prints the cycle's own time
                if (state.equals("COMPLETED") && completedSeen == 0) {
                    completedSeen = System.nanoTime();
                }
                boolean done = state.equals("FAILED") || state.equals("COMPLETED")
                        && (cycle.path("durationMillis").isNumber()
                                || System.nanoTime() - completedSeen > COMPLETION_WAIT.toNanos());
                if (verbose && !line.equals(lastLine) && (done || System.nanoTime() - lastPrinted > 2_000_000_000L)) {
                    out.println(line);
                    lastLine = line;
                    lastPrinted = System.nanoTime();
                }
                if (state.equals("FAILED")) {
                    out.printf("  cycle %s failed: %s%n", cycleId.substring(0, 8), cycle.path("error").asText());
                }
                if (done) {
                    return cycle;
                }
            }
            ServiceProcess.pause(500);
        }
    }

    /**
     * Prints a cycle's summary: "Cycle id completed in 0.2 s: 12 objects", the time being the cycle's own as the jobs
     * API gives it ({@code durationMillis}: from its start to its last result, both on the change-detector's
     * database clock), not how long this launcher took to notice (it may have been waiting for an earlier cycle's
     * digest email); a failed cycle has no completion time and is printed without one.
     */
    private void printSummary(JsonNode cycle, LocalSystem system) {
        JsonNode s = cycle.path("summary");
        JsonNode millis = cycle.path("durationMillis");
        out.printf("%nCycle %s %s%s: %s%n", cycle.path("cycleId").asText(),
                cycle.path("status").asText().toLowerCase(),
                millis.isNumber() ? String.format(" in %.1f s", millis.asLong() / 1000.0) : "",
                count(cycle.path("eventsEmitted").asInt(), "object"));
        out.printf("  created %d | updated %d | disabled %d | deleted %d | skipped %d | failed %d%n",
                s.path("created").asLong(), s.path("updated").asLong(), s.path("disabled").asLong(),
                s.path("deleted").asLong(), s.path("skipped").asLong(), s.path("failed").asLong());
        out.printf("  by action/status: %s%n", cycle.path("counts"));
        long active = system.druva().users().stream().filter(u -> u.active()).count();
        out.printf("  Druva now holds %s (%d active) and %s (%s)%n", count(system.druva().users().size(), "user"),
                active, count(system.druva().groups().size(), "group"),
                count(system.druva().groups().stream().mapToInt(g -> g.memberIds().size()).sum(), "membership"));
        if (s.path("failed").asLong() > 0) {
            awaitMail(system);
        }
        printNewMails(system);
    }

    /**
     * Waits (up to 30 s) for an email that arrived since the cycle was first seen: the digest of its failures (sent
     * when the notifier's window closes, which may be after the cycle completed). One printed while the cycle ran
     * counts: it is not waited for twice.
     */
    private void awaitMail(LocalSystem system) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (system.stack().smtp().received().size() <= mailsWhenCycleSeen && System.nanoTime() < deadline) {
            ServiceProcess.pause(500);
        }
    }

    /**
     * Prints each email the local SMTP server received since the last call, once: {@code email to [address]:
     * "subject"}, and where its whole text is saved ({@link #mailDir}: {@code mail-001.txt} with its recipients,
     * subject and decoded text), so that an operator reads what the notifier sent without a mail client.
     */
    private void printNewMails(LocalSystem system) {
        for (LocalSmtp.Mail m : system.stack().smtp().mailsAfter(mailsShown)) {
            mailsShown++;
            out.printf("  email to %s: \"%s\"%s%n", m.to(), m.subject(), saved(mailsShown, m));
        }
    }

    /** Saves one email's text under {@link #mailDir}: " (whole text: path)", or "" when not saved. */
    private String saved(int number, LocalSmtp.Mail mail) {
        if (mailDir == null) {
            return "";
        }
        Path file = mailDir.resolve(String.format("mail-%03d.txt", number));
        try {
            Files.writeString(file, "To: " + String.join(", ", mail.to()) + "\nSubject: " + mail.subject() + "\n\n"
                    + mail.text().replace("\r\n", "\n") + "\n", StandardCharsets.UTF_8);
            return " (whole text: " + file + ")";
        } catch (IOException e) {
            return " (not saved: " + e.getMessage() + ")";
        }
    }

    /**
     * The operator console's address with the administrator's token in the fragment: a browser never sends a fragment
     * to the server, and the page moves it into the tab's session storage and out of the address bar at once.
     */
    static String consoleUrl(String api, String token) {
        return api + "/console/#token=" + token;
    }

    /**
     * Writes this run's issuer keys and ready tokens under {@code work} (owner-readable only): {@code admin-token},
     * {@code operator-token}, {@code reader-token}. Returns the administrator's token file.
     */
    static Path writeTokens(LocalSystem system, Path work) throws IOException {
        LocalIssuer issuer = system.stack().issuer();
        issuer.writeKeys(work);
        Path admin = work.resolve("admin-token");
        LocalIssuer.writeSecretFile(admin, system.adminToken() + "\n");
        LocalIssuer.writeSecretFile(work.resolve("operator-token"),
                issuer.token("local-operator", LocalSystem.ADMIN_TOKEN_LIFETIME, LocalIssuer.OPERATOR) + "\n");
        LocalIssuer.writeSecretFile(work.resolve("reader-token"),
                issuer.token("local-reader", LocalSystem.ADMIN_TOKEN_LIFETIME, LocalIssuer.READER) + "\n");
        return admin;
    }

    /**
     * Settings that make the demo lively: short email digests (the scheduler tick's default, 1 s, is already the
     * shortest).
     */
    static Map<String, String> demoEnvironment() {
        return Map.of("NOTIFIER_DIGEST_WINDOW", "5s");
    }

    static Path extractDemoDirectory(Path target) throws IOException {
        Files.createDirectories(target.getParent());
        try (InputStream in = DemoLauncher.class.getResourceAsStream("/demo-directory.json")) {
            if (in == null) {
                throw new IllegalStateException("the demo directory is missing from the launcher's jar");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    /**
     * A count and its noun as read: "1 object", "2 objects" (as the services' {@code dev.provisioning.telemetry.Plural},
     * which the launcher's main code does not depend on).
     */
    static String count(long n, String noun) {
        return n + " " + (n == 1 ? noun : noun + "s");
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--directory", "--latency-ms" -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException(args[i] + " needs a value");
                    }
                    options.put(args[i].substring(2), args[++i]);
                }
                case "--exit" -> options.put("exit", "true");
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (options: --directory FILE, --latency-ms N, --exit)");
            }
        }
        return options;
    }
}
