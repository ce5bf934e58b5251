package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.druva.DruvaUser;
import dev.provisioning.graph.GraphCompatibleServer;
import dev.provisioning.localstack.LocalIssuer;
import dev.provisioning.localstack.LocalPostgres;

/**
 * The operator console in a real browser (Debian's Chromium, headless, through chromedriver) against the packaged
 * services, as an administrator uses it: signed in by the run command's link, creates a job through the form (a bad
 * field first: the page names it), tests its connection, adds an expression mapping (a validation error while typing,
 * then the value it gives a source user), starts the job and watches the progress reach 100 % (the cycle then also the
 * last cycle with changes), opens a failed user's log entry with how to fix it, downloads the log as CSV and JSON while
 * one page of it is shown (every matching entry is in the file), provisions one user on demand, and reviews then
 * allows the deletions the threshold
 * held (the list the status API holds); a reader sees the same pages with the changes
 * disabled and the reason; and repairs jobs whose stored rows cannot be read from the form that shows what could be
 * read and marks what could not ({@link #anAdministratorRepairsUnreadableJobsInTheConsole}); and configures a
 * Microsoft Graph source, then repairs it when its stored client secret cannot be read
 * ({@link #anAdministratorConfiguresAndRepairsAMicrosoftGraphSourceInTheConsole}). Every assertion is on what the page shows; each page is saved as a screenshot under
 * {@code end-to-end/target/it-console/screenshots/}, or, with the environment variable
 * {@value #REFRESH_SCREENSHOTS} set to {@code true}, under {@code docs/console/} to refresh the README's pictures (a
 * test run never writes into the source tree unless asked to).
 */
@ExtendWith(SharedLocalSystem.class)
class ConsoleBrowserIT {

    static final String CHROMIUM = "/usr/bin/chromium";
    static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    /** The environment variable that, set to {@code true}, writes the screenshots to {@code docs/console/}. */
    static final String REFRESH_SCREENSHOTS = "REFRESH_CONSOLE_SCREENSHOTS";
    /** Users with mail are created; users without one fail with MandatoryFieldsMissing. */
    static final int WITH_MAIL = 40;
    static final int WITHOUT_MAIL = 3;

    static LocalSystem system;
    static Path directory;
    static Path screenshots;
    static Path profile;
    static WebDriver browser;
    static WebDriverWait wait;

    @BeforeAll
    static void start(LocalSystem shared) throws Exception {
        boolean installed = new File(CHROMIUM).canExecute() && new File(CHROMEDRIVER).canExecute();
        if (!"true".equals(System.getenv("CI"))) {
            Assumptions.assumeTrue(installed, "Chromium and chromedriver are not installed (Debian: apt-get install "
                    + "chromium chromium-driver; .ci/run installs them)");
        }
        system = shared;
        Path home = LocalSystem.findHome();
        Path work = SharedLocalSystem.work("it-console");
        Files.createDirectories(work);
        directory = work.resolve("directory.json");
        Files.writeString(directory, directory(false, 0));
        screenshots = "true".equals(System.getenv(REFRESH_SCREENSHOTS))
                ? home.resolve("docs/console")
                : work.resolve("screenshots");
        Files.createDirectories(screenshots);
        profile = Files.createTempDirectory(work, "chromium-profile-");

        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--window-size=1280,1000", "--lang=en-US");
        // the log's downloads land in the test's work directory, not the home directory
        options.setExperimentalOption("prefs", Map.of("download.default_directory",
                work.resolve("downloads").toString(), "download.prompt_for_download", false));
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        // the driver and browser Debian installed: Selenium Manager never downloads anything
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Waits.OUTCOME);
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
    }

    /**
     * Assigned users console-0.. with mail, and some without (they fail); {@code late} adds console-late; the first
     * {@code unassigned} users stay in the directory without their assignment (the job disables them).
     */
    static String directory(boolean late, int unassigned) {
        StringBuilder users = new StringBuilder();
        StringBuilder assignments = new StringBuilder();
        int n = WITH_MAIL + WITHOUT_MAIL + (late ? 1 : 0);
        for (int i = 0; i < n; i++) {
            String id = i == WITH_MAIL + WITHOUT_MAIL ? "console-late" : "console-" + i;
            String upn = id + "@console.example";
            String mail = i < WITH_MAIL || i == WITH_MAIL + WITHOUT_MAIL ? ", \"mail\": \"" + upn + "\"" : "";
            users.append(i == 0 ? "" : ",\n").append(String.format("{\"id\": \"%s\", \"userPrincipalName\": \"%s\"%s, "
                    + "\"givenName\": \"Given%d\", \"surname\": \"Family%d\", \"displayName\": \"Console User %d\", "
                    + "\"mailNickname\": \"%s\", \"accountEnabled\": true}", id, upn, mail, i, i, i, id));
            if (i >= unassigned) {
                assignments.append(assignments.isEmpty() ? "" : ",\n").append(String.format(
                        "{\"principalId\": \"%s\", \"principalType\": \"User\", \"appRoleId\": \"r1\"}", id));
            }
        }
        return "{\"users\": [" + users + "], \"groups\": [], \"assignments\": [" + assignments + "]}";
    }

    @Test
    void anAdministratorConfiguresStartsAndFollowsAJobInTheConsole() throws Exception {
        try {
            administratorFlow();
        } catch (Throwable e) {
            Path work = savePage("failure");
            Files.writeString(work.resolve("failure-console.txt"), browser.manage().logs().get(LogType.BROWSER)
                    .getAll().stream().map(LogEntry::toString).collect(java.util.stream.Collectors.joining("\n")));
            throw e;
        }
    }

    private void administratorFlow() throws Exception {
        String api = system.service("change-detector").url();

        // the run command's link: signed in at once, and the token leaves the address bar
        browser.get(DemoLauncher.consoleUrl(api, system.adminToken()));
        visible(By.xpath("//h1[normalize-space()='Provisioning jobs']"));
        assertThat(browser.getCurrentUrl()).doesNotContain("token=").endsWith("/console/#/jobs");
        assertThat(text(By.id("who"))).contains(LocalIssuer.ADMIN);

        // a new job through the form: a bad email is refused naming the field, then the job is created
        click(By.id("new-job"));
        visible(By.xpath("//h1[normalize-space()='New provisioning job']"));
        type(By.id("name"), "Druva (console)");
        type(By.id("tenantUrl"), system.druva().baseUrl());
        type(By.id("secretToken"), system.druvaToken());
        type(By.id("source-directoryFile"), directory.toString());
        type(By.id("notificationEmail"), "not-an-email");
        click(By.id("notifyOnFailure"));
        replace(By.id("cycleInterval"), "PT1H");
        click(By.id("test-connection"));
        waitForText(By.id("connection-result"), "The connection works");
        click(By.id("save"));
        waitForText(By.id("save-problem"), "notificationEmail");
        assertThat(text(By.id("notificationEmail-error"))).contains("not a valid email address");
        replace(By.id("notificationEmail"), "admin@console.example");
        click(By.id("save"));
        visible(By.xpath("//h1[normalize-space()='Configure Druva (console)']"));
        String jobId = browser.getCurrentUrl().replaceAll(".*#/jobs/([^/]+)/configure$", "$1");
        JsonNode saved = system.jobs().list();
        assertThat(saved.findValuesAsText("id")).contains(jobId);

        // the saved job's connection, through the writer
        click(By.id("test-connection"));
        waitForText(By.id("connection-result"), "The connection works");

        // an expression mapping: an error while typing, then valid, then its value for a chosen source user
        click(By.id("add-mapping"));
        new Select(visible(By.id("mapping-type"))).selectByValue("EXPRESSION");
        type(By.id("mapping-expression"), "Join(\".\", [givenName]");
        // the message is the one for what was typed (the status repeats the expression with a caret under the error)
        waitForText(By.id("expression-status"), "Join(\".\", [givenName]");
        assertThat(text(By.id("expression-status"))).contains("at position");
        assertThat(browser.findElement(By.id("expression-error")).getText()).startsWith("✗");
        type(By.id("mapping-expression"), ", [surname])");
        waitForText(By.id("expression-status"), "Valid expression");
        type(By.id("mapping-target"), "name.formatted");
        type(By.id("test-user-search"), "console-7@");
        wait.until(d -> new Select(d.findElement(By.id("test-user"))).getOptions().size() == 1);
        click(By.id("test-mapping"));
        waitForText(By.id("mapping-test-result"), "\"Given7.Family7\"");
        assertThat(text(By.id("test-value"))).contains("Console User 7").contains("name.formatted");
        screenshot("configure-mapping");
        click(By.id("apply-mapping"));
        waitForText(By.id("mappings-table"), "name.formatted");
        click(By.id("save"));
        waitForText(By.id("save-status"), "Saved");
        assertThat(system.jobs().list().findValues("userMappings").toString()).contains("name.formatted");
        screenshot("configure");

        // start it and watch the progress reach 100 %
        click(By.id("start"));
        click(By.linkText("Overview"));
        waitForText(By.id("current-cycle-percent"), "100 %", Waits.CYCLE);
        waitForText(By.id("current-cycle"), "COMPLETED");
        assertThat(count("current-cycle", "Created")).isEqualTo(String.valueOf(WITH_MAIL));
        // the last cycle with changes is this one (the status's lastCycleWithChanges; quiet cycles do not replace it)
        waitForText(By.id("changed-cycle"), "COMPLETED");
        assertThat(count("changed-cycle", "Created")).isEqualTo(String.valueOf(WITH_MAIL));
        assertThat(text(By.cssSelector("#changed-cycle code.cycle-id")))
                .isEqualTo(text(By.cssSelector("#current-cycle code.cycle-id")))
                .isEqualTo(system.jobs().status(jobId).path("lastCycleWithChanges").path("cycleId").asText());
        assertThat(count("current-cycle", "Failed")).isEqualTo(String.valueOf(WITHOUT_MAIL));
        assertThat(browser.findElement(By.id("current-cycle-progress")).getAttribute("value")).isEqualTo("100");
        assertThat(system.druva().users()).hasSize(WITH_MAIL);
        screenshot("overview");

        // the jobs list shows it with its last cycle and failures
        click(By.linkText("All jobs"));
        WebElement row = visible(By.cssSelector("tr[data-job-id='" + jobId + "']"));
        wait.until(d -> d.findElement(By.cssSelector("tr[data-job-id='" + jobId + "']")).getText()
                .contains("Active"));
        assertThat(browser.findElement(By.cssSelector("tr[data-job-id='" + jobId + "'] td.num")).getText())
                .isEqualTo(String.valueOf(WITHOUT_MAIL));
        assertThat(row.isDisplayed()).isTrue();
        screenshot("jobs");

        // a failed user's log entry: the error code and how to fix it
        click(By.cssSelector("tr[data-job-id='" + jobId + "'] a"));
        click(By.linkText("Provisioning logs"));
        new Select(visible(By.id("log-status"))).selectByValue("Failure");
        click(By.id("apply-filters"));
        wait.until(d -> d.findElement(By.cssSelector("#logs-table tbody")).getText().contains("MandatoryFieldsMissing")
                && !d.findElement(By.cssSelector("#logs-table tbody")).getText().contains("Success"));
        assertThat(browser.findElements(By.cssSelector("#logs-table tbody tr"))).hasSize(WITHOUT_MAIL);
        click(By.cssSelector("#logs-table tbody tr button"));
        waitForText(By.id("log-error"), "MandatoryFieldsMissing");
        assertThat(text(By.id("log-fix"))).contains("How to fix").contains("work email");
        assertThat(text(By.id("log-detail"))).contains("Import").contains("Scope").contains("Action");
        screenshot("logs");

        // a page at a time: with 2 per page (set by the address), the third failure is behind "Older entries"
        browser.get(browser.getCurrentUrl().replaceAll("#.*$", "") + "#/jobs/" + jobId
                + "/logs?status=Failure&limit=2");
        waitForText(By.id("logs-count"), "Showing 2 entries, newest first; more are older.");
        assertThat(browser.findElements(By.cssSelector("#logs-table tbody tr"))).hasSize(2);
        // a download holds every entry matching the filters, not only the page shown: the files' text as the page made
        // them (each blob it hands to URL.createObjectURL, recorded here as a JSON string: a script's answer loses \r)
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("window.downloads = [];"
                + "const make = URL.createObjectURL.bind(URL);"
                + "URL.createObjectURL = (blob) => {"
                + "  blob.text().then((t) => window.downloads.push(JSON.stringify(t)));"
                + "  return make(blob);"
                + "};");
        List<String> failed = java.util.stream.IntStream.range(WITH_MAIL, WITH_MAIL + WITHOUT_MAIL)
                .mapToObj(i -> "console-" + i).toList();
        click(By.id("download-csv"));
        waitForText(By.id("download-status"), "Downloaded " + WITHOUT_MAIL + " entries (CSV): every one matching "
                + "the filters.");
        List<String> csv = List.of(download(0).split("\r\n"));
        assertThat(csv.get(0)).isEqualTo("occurredAt,cycleId,objectType,sourceId,targetId,displayName,action,status,"
                + "errorCode,reason,httpStatus,attempts,durationMillis,modifiedProperties,reportedBy,changeId");
        assertThat(csv.subList(1, csv.size())).extracting(line -> line.split(",")[3])
                .containsExactlyInAnyOrderElementsOf(failed);
        assertThat(csv.subList(1, csv.size()))
                .allSatisfy(line -> assertThat(line).contains(",Failure,MandatoryFieldsMissing,"));
        click(By.id("download-json"));
        waitForText(By.id("download-status"), "Downloaded " + WITHOUT_MAIL + " entries (JSON)");
        JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(download(1));
        assertThat(json.findValuesAsText("sourceId")).containsExactlyInAnyOrderElementsOf(failed);
        assertThat(browser.findElements(By.cssSelector("#logs-table tbody tr"))).as("the table keeps its page")
                .hasSize(2);
        click(By.id("logs-older"));
        waitForText(By.id("logs-count"), "Showing 3 entries, newest first.");
        assertThat(browser.findElements(By.cssSelector("#logs-table tbody tr")).stream()
                .map(r -> r.getAttribute("data-object-id")).toList()).hasSize(WITHOUT_MAIL).doesNotHaveDuplicates();
        assertThat(browser.findElements(By.id("logs-older"))).isEmpty();

        // provision on demand: a user added to the source after the cycle is created now, step by step. Provisioning
        // is stopped first: on, the directory-file watch would start a cycle for the changed file within a second and
        // that cycle would create the user before the on-demand request (on demand works while provisioning is off)
        click(By.linkText("Overview"));
        click(By.id("stop"));
        new WebDriverWait(browser, Waits.OUTCOME).until(d -> "PAUSED".equals(system.jobs().status(jobId)
                .path("state").asText()));
        Files.writeString(directory, directory(true, 0));
        click(By.linkText("Provision on demand"));
        type(By.id("object-search"), "console-late");
        wait.until(d -> d.findElements(By.cssSelector("#object-list input")).size() == 1);
        click(By.cssSelector("#object-list input[value='console-late']"));
        click(By.id("provision"));
        waitForText(By.id("on-demand-result"), "Create Success");
        String outcome = text(By.id("on-demand-result"));
        assertThat(outcome).contains("Import").contains("Scope").contains("Match").contains("Action")
                .contains("POST /Users").contains("HTTP 201");
        assertThat(system.druva().users()).extracting(DruvaUser::userName).contains("console-late@console.example");
        screenshot("on-demand");

        // a narrow window: the overview in one column
        browser.manage().window().setSize(new Dimension(420, 1000));
        click(By.linkText("Overview"));
        waitForText(By.id("current-cycle"), "100 %");
        screenshot("overview-narrow");
        browser.manage().window().setSize(new Dimension(1280, 1000));

        // held deletions: with the threshold at 1, unassigning two users holds both disables; the overview lists what
        // the status API holds, and "Allow deletes" sends them to Druva
        click(By.linkText("Configure"));
        // created with the fields left empty: the page shows the API's defaults (Entra's 500, Okta's 20 %)
        wait.until(d -> "500".equals(d.findElement(By.id("deletionThreshold")).getDomProperty("value")));
        assertThat(visible(By.id("deletionThresholdPercent")).getDomProperty("value")).isEqualTo("20");
        replace(By.id("deletionThreshold"), "1");
        click(By.id("save"));
        waitForText(By.id("save-status"), "Saved");
        assertThat(system.jobs().list().findValues("deletionThreshold").stream().map(JsonNode::asInt)).contains(1);
        Files.writeString(directory, directory(true, 2));
        click(By.id("start"));
        click(By.linkText("Overview"));
        waitForText(By.id("quarantine"), "DeletionThresholdExceeded", Waits.CYCLE);
        waitForText(By.id("held-count"), "2");
        List<String> held = browser.findElements(By.cssSelector("#held-table tbody tr")).stream()
                .map(r -> r.getAttribute("data-object-id")).toList();
        assertThat(held).containsExactlyInAnyOrder("console-0", "console-1");
        assertThat(system.jobs().status(jobId).path("heldObjects").findValuesAsText("objectId"))
                .containsExactlyInAnyOrderElementsOf(held);
        assertThat(text(By.id("held-table"))).contains("Console User 0")
                .contains("Disable (unassigned or out of scope)");
        assertThat(system.druva().users()).filteredOn(u -> u.userName().startsWith("console-0@"))
                .singleElement().extracting(DruvaUser::active).isEqualTo(true);
        screenshot("overview-held");
        click(By.id("allow-deletes"));
        waitForText(By.id("held-deletions"), "None", Waits.CYCLE);
        new WebDriverWait(browser, Waits.CYCLE).until(d -> system.druva().users().stream()
                .filter(u -> u.userName().startsWith("console-0@") || u.userName().startsWith("console-1@"))
                .noneMatch(DruvaUser::active));
        wait.until(d -> d.findElements(By.id("quarantine")).isEmpty());

        // a reader sees the pages, with every change disabled and the reason given
        String reader = system.stack().issuer().token("console-reader", LocalIssuer.READER);
        browser.get(DemoLauncher.consoleUrl(api, reader));
        waitForText(By.id("who"), LocalIssuer.READER);
        WebElement newJob = visible(By.id("new-job"));
        assertThat(newJob.getAttribute("aria-disabled")).isEqualTo("true");
        assertThat(text(By.id("new-job-why"))).contains("Needs the role " + LocalIssuer.ADMIN);
        click(By.cssSelector("tr[data-job-id='" + jobId + "'] a"));
        waitForText(By.id("controls-why"), "Needs the role " + LocalIssuer.OPERATOR);
        assertThat(browser.findElement(By.id("start")).isEnabled()).isFalse();
        screenshot("reader");

        // signing out leaves the sign-in page, which says how to get a token
        click(By.xpath("//button[normalize-space()='Sign out']"));
        waitForText(By.id("main"), "az account get-access-token");
        screenshot("sign-in");

        // refused calls the test made on purpose (the 400, the audit log's 404) are logged as failed loads: not errors
        List<LogEntry> errors = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .filter(e -> !e.getMessage().contains("Failed to load resource")).toList();
        assertThat(errors).as("errors in the browser console (a CSP violation, a script error)").isEmpty();
        system.jobs().pause(jobId);
    }

    /**
     * Repairing jobs whose stored rows this version cannot read, as an administrator does it in the console: the jobs
     * list names every field that cannot be read, its link opens the Configure page as a repair, which starts from
     * what could be read and marks, naming the stored field, what it shows defaults for. One job's configuration
     * cannot be read (a scope written by another version) but its deletion threshold can: the page shows the stored
     * threshold, the scope marked, and the administrator enters the rest. The other's configuration can be read but
     * its deletion threshold and quarantine reason cannot: the page shows its configuration and the default
     * threshold, marked; saving with the token alone repairs it (before, the threshold fields were empty, so the save
     * was refused with 409 or sent values nobody had seen, and a repaired active job was paused).
     */
    @Test
    void anAdministratorRepairsUnreadableJobsInTheConsole() throws Exception {
        String scopeJob = null;
        String thresholdJob = null;
        try {
            // a directory without users: a repaired job that runs a cycle sends nothing to the shared Druva
            Path empty = directory.resolveSibling("repair-directory.json");
            Files.writeString(empty, "{\"users\": []}");
            Map<String, Object> job = new HashMap<>(Map.of("tenantUrl", system.druva().baseUrl(), "secretToken",
                    system.druvaToken(), "provisioningStatus", "Off", "cycleInterval", "PT1H",
                    "notificationEmail", "repair@console.example", "source",
                    Map.of("type", "DIRECTORY_FILE", "directoryFile", empty.toString())));
            job.put("name", "Unreadable scope");
            job.put("deletionThreshold", 7);
            job.put("deletionThresholdPercent", 15);
            scopeJob = system.jobs().create(job);
            job.put("name", "Unreadable threshold");
            job.remove("deletionThreshold");
            job.remove("deletionThresholdPercent");
            thresholdJob = system.jobs().create(job);
            try (Connection db = DriverManager.getConnection(system.stack().postgres().jdbcUrl("change_detector"),
                    LocalPostgres.USER, LocalPostgres.PASSWORD); Statement sql = db.createStatement()) {
                // as another version would have written them
                sql.executeUpdate("UPDATE job SET config = jsonb_set(config::jsonb, '{scope}', '\"EVERYONE_IN_2030\"')"
                        + "::text WHERE id = '" + scopeJob + "'");
                sql.executeUpdate("UPDATE job SET deletion_threshold = -5, quarantine_reason = 'NoSuchReason', "
                        + "quarantine_key = 'NoSuchReason/c1', quarantined_since = now(), state = 'QUARANTINED' "
                        + "WHERE id = '" + thresholdJob + "'");
            }
            repairFlow(scopeJob, thresholdJob, empty);
        } catch (Throwable e) {
            savePage("repair-failure");
            throw e;
        } finally {
            for (String id : new String[]{scopeJob, thresholdJob}) {
                if (id != null) {
                    system.jobs().exchange("DELETE", "/jobs/" + id, null);
                }
            }
        }
    }

    private void repairFlow(String scopeJob, String thresholdJob, Path empty) throws Exception {
        String api = system.service("change-detector").url();
        browser.get(DemoLauncher.consoleUrl(api, system.adminToken()));

        // the list names every field that cannot be read
        By thresholdRow = By.cssSelector("tr[data-job-id='" + thresholdJob + "']");
        waitForText(thresholdRow, "deletion_threshold");
        assertThat(text(thresholdRow)).contains("Unreadable threshold", "Cannot be read", "quarantine_reason",
                "deletion_threshold");
        assertThat(text(By.cssSelector("tr[data-job-id='" + scopeJob + "']"))).contains("config.scope");
        screenshot("jobs-unreadable");

        // a configuration that cannot be read: the stored threshold is shown, the scope marked
        click(By.cssSelector("tr[data-job-id='" + scopeJob + "'] a[href$='/configure']"));
        visible(By.xpath("//h1[normalize-space()='Repair job " + scopeJob + "']"));
        waitForText(By.id("repair"), "config.scope");
        wait.until(d -> "7".equals(d.findElement(By.id("deletionThreshold")).getDomProperty("value")));
        assertThat(visible(By.id("deletionThresholdPercent")).getDomProperty("value")).isEqualTo("15");
        assertThat(browser.findElements(By.id("deletionThreshold-unreadable"))).isEmpty();
        assertThat(text(By.id("scope-select-unreadable"))).contains("config.scope");
        assertThat(text(By.id("repair-help"))).contains("The stored configuration cannot be read")
                .contains("The deletion threshold is filled in as stored");
        assertThat(visible(By.id("name")).getDomProperty("value")).isEqualTo("Unreadable scope");
        assertThat(new Select(visible(By.id("provisioning-status"))).getFirstSelectedOption().getAttribute("value"))
                .isEqualTo("Off");
        type(By.id("tenantUrl"), system.druva().baseUrl());
        type(By.id("secretToken"), system.druvaToken());
        type(By.id("source-directoryFile"), empty.toString());
        JsonNode repaired = saveRepair(scopeJob, "Unreadable scope");
        assertThat(repaired.path("scope").asText()).isEqualTo("ASSIGNED_ONLY");
        assertThat(repaired.path("deletionThreshold").asInt()).isEqualTo(7);
        assertThat(repaired.path("deletionThresholdPercent").asInt()).isEqualTo(15);
        assertThat(repaired.path("state").asText()).isEqualTo("PAUSED");

        // a threshold that cannot be read: the stored configuration is shown, the default threshold marked
        click(By.linkText("All jobs"));
        click(By.cssSelector("tr[data-job-id='" + thresholdJob + "'] a[href$='/configure']"));
        visible(By.xpath("//h1[normalize-space()='Repair job " + thresholdJob + "']"));
        waitForText(By.id("repair"), "deletion_threshold");
        assertThat(text(By.id("repair"))).contains("quarantine_reason");
        wait.until(d -> "500".equals(d.findElement(By.id("deletionThreshold")).getDomProperty("value")));
        assertThat(visible(By.id("deletionThresholdPercent")).getDomProperty("value")).isEqualTo("20");
        assertThat(text(By.id("deletionThreshold-unreadable"))).contains("deletion_threshold")
                .contains("cannot be read");
        assertThat(text(By.id("deletionThresholdPercent-unreadable"))).contains("deletion_threshold");
        assertThat(visible(By.id("tenantUrl")).getDomProperty("value")).isEqualTo(system.druva().baseUrl());
        assertThat(visible(By.id("source-directoryFile")).getDomProperty("value")).isEqualTo(empty.toString());
        assertThat(visible(By.id("notificationEmail")).getDomProperty("value")).isEqualTo("repair@console.example");
        assertThat(visible(By.id("cycleInterval")).getDomProperty("value")).isEqualTo("PT1H");
        assertThat(text(By.id("repair-help"))).contains("could be read and is filled in")
                .contains("deletion_threshold");
        assertThat(new Select(visible(By.id("provisioning-status"))).getFirstSelectedOption().getAttribute("value"))
                .as("the row's state, QUARANTINED: provisioning on").isEqualTo("On");
        screenshot("configure-repair");
        // saved without the token: the page names it, as the API does
        click(By.id("save"));
        waitForText(By.id("save-problem"), "secretToken");
        assertThat(text(By.id("secretToken-error"))).contains("is required to repair the job");
        type(By.id("secretToken"), system.druvaToken());
        JsonNode mended = saveRepair(thresholdJob, "Unreadable threshold");
        assertThat(mended.path("deletionThreshold").asInt()).isEqualTo(500);
        assertThat(mended.path("deletionThresholdPercent").asInt()).isEqualTo(20);
        assertThat(mended.path("state").asText()).as("provisioning stays on").isEqualTo("ACTIVE");
        JsonNode quarantine = system.jobs().status(thresholdJob).path("quarantine");
        assertThat(quarantine.isNull() || quarantine.isMissingNode()).as("the unknown quarantine is lifted").isTrue();
        system.jobs().pause(thresholdJob);
    }

    /**
     * A job whose source is Microsoft Graph, as an administrator configures it in the console, against a local
     * Graph-compatible server (its token authority and Graph URL on loopback, which the shared system allows over
     * plain http); the job stays Off. A save with an authority URL that is not https and no service principal is
     * refused, the problem naming both fields and the form marking them; the saved job reopens with the Graph fields
     * as the API returns them and the client secret field empty, the secret nowhere in the page; a save that leaves
     * the secret empty keeps it. A stored client secret this version cannot read (written by another version) makes
     * the job unreadable: the jobs list names {@code config.source.graph.clientSecret}, the repair form starts with
     * the Microsoft Graph source and the secret field marked, a save without the secret is refused naming it, and the
     * save with it repairs the job.
     */
    @Test
    void anAdministratorConfiguresAndRepairsAMicrosoftGraphSourceInTheConsole() throws Exception {
        String secret = "graph-console-secret-" + System.nanoTime();
        GraphCompatibleServer graph = GraphCompatibleServer
                .start(GraphCompatibleServer.Options.defaults().clientSecret(secret));
        try {
            graphFlow(graph, secret);
        } catch (Throwable e) {
            savePage("graph-failure");
            throw e;
        } finally {
            if (graphJob != null) {
                system.jobs().exchange("DELETE", "/jobs/" + graphJob, null);
            }
            graph.close();
        }
    }

    /** The Graph job {@link #graphFlow} created, deleted after it. */
    private String graphJob;

    private void graphFlow(GraphCompatibleServer graph, String secret) throws Exception {
        GraphCompatibleServer.Options o = graph.options();
        String api = system.service("change-detector").url();
        browser.get(DemoLauncher.consoleUrl(api, system.adminToken()));
        click(By.id("new-job"));
        visible(By.xpath("//h1[normalize-space()='New provisioning job']"));
        type(By.id("name"), "Graph (console)");
        type(By.id("tenantUrl"), system.druva().baseUrl());
        type(By.id("secretToken"), system.druvaToken());
        new Select(visible(By.id("source-type"))).selectByValue("MICROSOFT_GRAPH");
        assertThat(visible(By.id("source-graph-graphUrl")).getAttribute("placeholder"))
                .as("Graph's base URL includes its version").isEqualTo("https://graph.microsoft.com/v1.0");
        type(By.id("source-graph-tenantId"), o.tenantId());
        type(By.id("source-graph-clientId"), o.clientId());
        assertThat(browser.findElement(By.id("source-graph-clientSecret")).getAttribute("required"))
                .as("a new job's client secret is required").isNotNull();
        type(By.id("source-graph-clientSecret"), secret);
        type(By.id("source-graph-authorityUrl"), "http://login.graph.example");
        type(By.id("source-graph-graphUrl"), graph.baseUrl());

        // refused: the problem names the fields and the form marks them
        click(By.id("save"));
        waitForText(By.id("save-problem"), "source.graph.authorityUrl");
        assertThat(text(By.id("save-problem"))).contains("source.graph.servicePrincipalId");
        assertThat(text(By.id("source-graph-authorityUrl-error"))).contains("must use https");
        assertThat(browser.findElement(By.id("source-graph-authorityUrl")).getAttribute("aria-invalid"))
                .isEqualTo("true");
        assertThat(text(By.id("source-graph-servicePrincipalId-error"))).contains("is required");
        assertThat(browser.findElement(By.id("source-graph-servicePrincipalId")).getAttribute("aria-invalid"))
                .isEqualTo("true");
        assertThat(browser.findElements(By.id("source-graph-tenantId-error"))).isEmpty();
        assertThat(browser.getPageSource()).doesNotContain(secret);

        replace(By.id("source-graph-authorityUrl"), graph.authorityUrl());
        type(By.id("source-graph-servicePrincipalId"), o.servicePrincipalId());
        click(By.id("save"));
        visible(By.xpath("//h1[normalize-space()='Configure Graph (console)']"));
        String jobId = browser.getCurrentUrl().replaceAll(".*#/jobs/([^/]+)/configure$", "$1");
        graphJob = jobId;
        JsonNode saved = listed(jobId);
        assertThat(saved.path("state").asText()).isEqualTo("PAUSED");
        assertThat(saved.path("source").path("graph").path("clientSecretSet").asBoolean()).isTrue();

        // reopened: the Graph fields as the API returns them, the secret field empty, the secret nowhere
        browser.navigate().refresh();
        visible(By.xpath("//h1[normalize-space()='Configure Graph (console)']"));
        assertThat(new Select(visible(By.id("source-type"))).getFirstSelectedOption().getAttribute("value"))
                .isEqualTo("MICROSOFT_GRAPH");
        assertThat(Map.of("tenantId", value("source-graph-tenantId"), "clientId", value("source-graph-clientId"),
                "servicePrincipalId", value("source-graph-servicePrincipalId"), "authorityUrl",
                value("source-graph-authorityUrl"), "graphUrl", value("source-graph-graphUrl")))
                .isEqualTo(Map.of("tenantId", o.tenantId(), "clientId", o.clientId(), "servicePrincipalId",
                        o.servicePrincipalId(), "authorityUrl", graph.authorityUrl(), "graphUrl", graph.baseUrl()));
        WebElement clientSecret = visible(By.id("source-graph-clientSecret"));
        assertThat(clientSecret.getDomProperty("value")).isEmpty();
        assertThat(clientSecret.getAttribute("placeholder")).isEqualTo("set (hidden): type to replace it");
        assertThat(clientSecret.getAttribute("required")).as("the saved secret is kept").isNull();
        assertThat(browser.getPageSource()).doesNotContain(secret);
        screenshot("configure-graph");
        // saved again with the secret left empty: the stored one is kept (the URLs are the ones it was saved with)
        click(By.id("save"));
        waitForText(By.id("save-status"), "Saved");
        assertThat(listed(jobId).path("source").path("graph").path("clientSecretSet").asBoolean()).isTrue();

        // a stored client secret this version cannot read, as another version would have written it
        try (Connection db = DriverManager.getConnection(system.stack().postgres().jdbcUrl("change_detector"),
                LocalPostgres.USER, LocalPostgres.PASSWORD); Statement sql = db.createStatement()) {
            sql.executeUpdate("UPDATE job SET config = jsonb_set(config::jsonb, '{source,graph,clientSecret}', "
                    + "'\"vault:v9:graph-secret\"')::text WHERE id = '" + jobId + "'");
        }
        click(By.linkText("All jobs"));
        By row = By.cssSelector("tr[data-job-id='" + jobId + "']");
        waitForText(row, "config.source.graph.clientSecret");
        assertThat(text(row)).contains("Cannot be read");
        click(By.cssSelector("tr[data-job-id='" + jobId + "'] a[href$='/configure']"));
        visible(By.xpath("//h1[normalize-space()='Repair job " + jobId + "']"));
        waitForText(By.id("repair"), "config.source.graph.clientSecret");
        assertThat(new Select(visible(By.id("source-type"))).getFirstSelectedOption().getAttribute("value"))
                .as("the repair starts from the Graph source").isEqualTo("MICROSOFT_GRAPH");
        assertThat(text(By.id("source-graph-clientSecret-unreadable"))).contains("config.source.graph.clientSecret");
        assertThat(browser.findElement(By.id("source-graph-clientSecret")).getAttribute("required")).isNotNull();
        assertThat(new Select(visible(By.id("provisioning-status"))).getFirstSelectedOption().getAttribute("value"))
                .isEqualTo("Off");
        assertThat(value("name")).isEqualTo("Graph (console)");
        type(By.id("tenantUrl"), system.druva().baseUrl());
        type(By.id("secretToken"), system.druvaToken());
        type(By.id("source-graph-tenantId"), o.tenantId());
        type(By.id("source-graph-clientId"), o.clientId());
        type(By.id("source-graph-servicePrincipalId"), o.servicePrincipalId());
        type(By.id("source-graph-authorityUrl"), graph.authorityUrl());
        type(By.id("source-graph-graphUrl"), graph.baseUrl());
        // saved without the client secret: the page asks for it, as the API does
        click(By.id("save"));
        waitForText(By.id("save-problem"), "source.graph.clientSecret");
        assertThat(text(By.id("source-graph-clientSecret-error"))).contains("is required to repair the job");
        type(By.id("source-graph-clientSecret"), secret);
        JsonNode repaired = saveRepair(jobId, "Graph (console)");
        assertThat(repaired.path("source").path("graph").path("clientSecretSet").asBoolean()).isTrue();
        assertThat(repaired.path("source").path("graph").path("graphUrl").asText()).isEqualTo(graph.baseUrl());
        assertThat(repaired.path("state").asText()).isEqualTo("PAUSED");
        assertThat(browser.getPageSource()).doesNotContain(secret);
        click(By.linkText("All jobs"));
        waitForText(row, "paused");
        assertThat(text(row)).doesNotContain("Cannot be read");
    }

    /**
     * What the page showed when a test failed, for whoever reads the failure: {@code <name>.png} and
     * {@code <name>.html} in the test's work directory.
     *
     * @return the work directory
     */
    private static Path savePage(String name) throws java.io.IOException {
        Path work = SharedLocalSystem.work("it-console");
        Files.write(work.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        Files.writeString(work.resolve(name + ".html"), browser.getPageSource());
        return work;
    }

    /** A field's value as the page holds it (its DOM property, not the attribute). */
    private static String value(String id) {
        return visible(By.id(id)).getDomProperty("value");
    }

    /**
     * Saves the repair form: the page becomes the job's Configure page, says it saved, and the API lists the job
     * readable again.
     *
     * @return the job as {@code GET /jobs} lists it now
     */
    private static JsonNode saveRepair(String id, String name) {
        click(By.id("save"));
        visible(By.xpath("//h1[normalize-space()='Configure " + name + "']"));
        waitForText(By.id("save-status"), "Saved");
        JsonNode repaired = listed(id);
        assertThat(repaired.has("problem")).as("listed with a problem").isFalse();
        return repaired;
    }

    /** The job as {@code GET /jobs} lists it. */
    private static JsonNode listed(String id) {
        for (JsonNode job : system.jobs().list()) {
            if (id.equals(job.path("id").asText())) {
                return job;
            }
        }
        throw new AssertionError("job " + id + " is not listed");
    }

    /** The text of the page's {@code n}th download (from 0), once the page made it. */
    private static String download(int n) throws java.io.IOException {
        String json = (String) wait.until(d -> ((org.openqa.selenium.JavascriptExecutor) d)
                .executeScript("return window.downloads[" + n + "] ?? null"));
        return new com.fasterxml.jackson.databind.ObjectMapper().readValue(json, String.class);
    }

    /** A count of a cycle card, as the page shows it. */
    private static String count(String card, String name) {
        return browser.findElement(By.xpath("//section[@id='" + card + "']//dt[normalize-space()='" + name
                + "']/following-sibling::dd")).getText();
    }

    private static WebElement visible(By by) {
        return wait.until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    /** Clicks as a person would after scrolling the control to the middle (the save bar sticks to the bottom). */
    private static void click(By by) {
        WebElement element = wait.until(ExpectedConditions.elementToBeClickable(by));
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
                "arguments[0].scrollIntoView({block: 'center'})",
                element);
        element.click();
    }

    private static void type(By by, String text) {
        visible(by).sendKeys(text);
    }

    /** Replaces a field's text as a person does (select all, type), so that the page sees input events. */
    private static void replace(By by, String text) {
        visible(by).sendKeys(Keys.chord(Keys.CONTROL, "a"), text);
    }

    private static String text(By by) {
        return visible(by).getText();
    }

    private static void waitForText(By by, String text) {
        waitForText(by, text, Waits.OUTCOME);
    }

    private static void waitForText(By by, String text, java.time.Duration atMost) {
        // the page re-renders while it works (lit replaces nodes): an element found may be gone by the time its text
        // is read, so a stale one is looked up again on the next poll
        new WebDriverWait(browser, atMost).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .until(d -> {
                    List<WebElement> found = d.findElements(by);
                    return !found.isEmpty() && found.get(0).getText().contains(text);
                });
    }

    private static void screenshot(String name) throws Exception {
        // let the page settle (fonts, the last render) before it is pictured
        wait.until(d -> "complete".equals(((org.openqa.selenium.JavascriptExecutor) d)
                .executeScript("return document.readyState")));
        // the whole page (up to 2,400 px high): the window is made as tall as the page for the picture
        Dimension window = browser.manage().window().getSize();
        long height = (Long) ((org.openqa.selenium.JavascriptExecutor) browser)
                .executeScript("return document.documentElement.scrollHeight");
        browser.manage().window().setSize(new Dimension(window.getWidth(), (int) Math.min(2400, Math.max(height,
                window.getHeight()))));
        try {
            Files.write(screenshots.resolve(name + ".png"),
                    ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        } finally {
            browser.manage().window().setSize(window);
        }
    }

}
