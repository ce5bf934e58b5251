package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.deploy.MetricsSpec;
import dev.provisioning.deploy.PromQl;
import dev.provisioning.deploy.Queries;
import dev.provisioning.deploy.ScrapedMetrics;

/**
 * What the dashboard and the alert rules read exists: the packaged services run a job to completion (the demo
 * directory, against a Druva that answers 429 above 50 requests/s, so retries and throttling happen as they do on a
 * busy tenant), then every service's {@code /q/metrics} (management port) is scraped and every metric named in
 * {@code deploy/grafana/provisioning-dashboard.json} and {@code deploy/prometheus/alerts.yaml} must have a series with
 * the labels the query uses ({@code ScrapedMetrics.missing}). Beyond the queries: every series the services export
 * under the project's prefixes and Kafka's is specified in {@code deploy/METRICS.md} with exactly its labels, the
 * histograms have the specified buckets, and one job's request histogram stays within its bound.
 */
@ExtendWith(SharedLocalSystem.class)
class MetricsEndToEndIT {

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static final Pattern SERIES = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{.*\\})?\\s");
    static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
    static final List<String> OWN_PREFIXES = List.of("provisioning_", "scim_writer_", "notifier_", "kafka_");

    static LocalSystem system;
    static Path deploy;
    static MetricsSpec spec;
    static String jobId;

    @BeforeAll
    static void runOneJob(LocalSystem shared) throws Exception {
        system = shared;
        deploy = LocalSystem.findHome().resolve("deploy");
        spec = MetricsSpec.read(deploy.resolve("METRICS.md"));
        Path directory = DemoLauncher.extractDemoDirectory(
                SharedLocalSystem.work("it/metrics-directory.json"));
        system.druva().settings(s -> s.latency(Duration.ofMillis(5)).rateLimitPerSecond(50));
        // 429s and 503s whatever the machine's speed: the retry and 429 series exist only once one happened, and on a
        // busy machine the writer never reached the 50 requests/s limit (red in a fresh-clone run with one core busy);
        // three of each, so a one-shot request that is not retried (a connection test) cannot take them all. Both say
        // Retry-After: 1 s: the six land on one request in a row, and a 503 without it is retried on the exponential
        // back-off (up to 32 s before the seventh attempt, which the test waited out: 2026-12-02, 31 s)
        for (int i = 0; i < 3; i++) {
            system.druva().failNext(429, 1);
            system.druva().failNext(503, 1);
        }

        Map<String, Object> job = new HashMap<>();
        job.put("name", "Druva (metrics)");
        job.put("tenantUrl", system.druva().baseUrl());
        job.put("secretToken", system.druvaToken());
        job.put("notificationEmail", "admin@contoso.example");
        job.put("notifyOnFailure", true);
        job.put("provisioningStatus", "On");
        job.put("cycleInterval", "PT1H");
        job.put("source", Map.of("type", "DIRECTORY_FILE", "directoryFile", directory.toString()));
        jobId = system.jobs().create(job);

        await("the job's first cycle").atMost(Waits.CYCLE).pollInterval(Duration.ofMillis(500)).until(() -> {
            JsonNode recent = system.jobs().status(jobId).path("recentCycles");
            return !recent.isEmpty()
                    && "COMPLETED".equals(recent.get(recent.size() - 1).path("status").asText());
        });
        // the failures' digest is the notifier's part of the run
        await("the failure digest").atMost(Waits.OUTCOME).until(() -> system.stack().smtp().mails().stream()
                .anyMatch(m -> m.subject().contains("(" + jobId + ")")));
        system.druva().settings(s -> s.rateLimitPerSecond(0));
    }

    @Test
    void everyMetricTheDashboardAndTheAlertsQueryIsExportedWithTheLabelsTheyUse() {
        List<Queries.Query> queries = new ArrayList<>(
                Queries.dashboard(deploy.resolve("grafana/provisioning-dashboard.json")));
        queries.addAll(Queries.alertQueries(deploy.resolve("prometheus/alerts.yaml")));
        assertThat(queries).hasSizeGreaterThan(40);

        // gauges read from the database and Kafka's newly assigned partitions appear within a refresh (a minute)
        await("every queried series on /q/metrics").atMost(Waits.OUTCOME).pollInterval(Duration.ofSeconds(2))
                .untilAsserted(() -> {
                    ScrapedMetrics scraped = new ScrapedMetrics();
                    scrapes().values().forEach(scraped::add);
                    List<String> missing = new ArrayList<>();
                    for (Queries.Query q : queries) {
                        missing.addAll(scraped.missing(q.where(), q.uses(), spec.scrapeLabels(), spec.notExported()));
                    }
                    assertThat(missing).isEmpty();
                });
    }

    @Test
    void everyLabelValueAQueryMatchesExactlyIsOneTheServicesExport() {
        // a query that names a value (status="Failure", le="1.0", area="heap") finds nothing if the services write it
        // otherwise (le="1" against the exporter's "1.0")
        Map<String, Map<String, Set<String>>> values = new HashMap<>(); // metric -> label -> values seen
        scrapes().values().forEach(text -> text.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).forEach(l -> {
            Matcher m = SERIES.matcher(l);
            if (m.find()) {
                labels(l).forEach((label, value) -> values.computeIfAbsent(m.group(1), k -> new HashMap<>())
                        .computeIfAbsent(label, k -> new TreeSet<>()).add(value));
            }
        }));
        List<Queries.Query> queries = new ArrayList<>(
                Queries.dashboard(deploy.resolve("grafana/provisioning-dashboard.json")));
        queries.addAll(Queries.alertQueries(deploy.resolve("prometheus/alerts.yaml")));
        List<String> unmatched = new ArrayList<>();
        for (Queries.Query q : queries) {
            for (PromQl.Selector selector : PromQl.selectors(PromQl.parse(q.expr()))) {
                for (PromQl.Matcher matcher : selector.matchers()) {
                    if (!matcher.op().equals("=") || matcher.value().contains("$")
                            || spec.scrapeLabels().contains(matcher.label())
                            || spec.notExported().contains(selector.metric())) {
                        continue;
                    }
                    Set<String> seen = values.getOrDefault(selector.metric(), Map.of())
                            .getOrDefault(matcher.label(), Set.of());
                    if (!seen.contains(matcher.value())) {
                        unmatched.add(q.where() + ": " + selector.metric() + "{" + matcher.label() + "=\""
                                + matcher.value() + "\"} but the services write " + seen);
                    }
                }
            }
        }
        assertThat(unmatched).isEmpty();
    }

    @Test
    void everySeriesTheServicesExportIsSpecifiedWithExactlyItsLabels() {
        Map<String, String> scrapes = scrapes();
        List<String> unspecified = new ArrayList<>();
        scrapes.forEach((service, text) -> series(text).forEach((name, labelSets) -> {
            if (OWN_PREFIXES.stream().noneMatch(name::startsWith)) {
                return; // JVM, process, HTTP server: Quarkus' own
            }
            var specified = spec.series(name);
            if (specified.isEmpty()) {
                unspecified.add(service + ": " + name + " is not in deploy/METRICS.md");
                return;
            }
            for (Set<String> labels : labelSets) {
                if (!labels.equals(specified.get().labels())) {
                    unspecified.add(service + ": " + name + labels + " but METRICS.md says "
                            + specified.get().labels());
                }
            }
        }));
        assertThat(unspecified).isEmpty();
    }

    @Test
    void theHistogramsHaveTheSpecifiedBucketsAndOneJobsRequestHistogramStaysSmall() {
        Map<String, String> scrapes = scrapes();
        spec.buckets().forEach((name, bounds) -> {
            String service = name.startsWith("scim_writer_") ? "scim-writer" : "change-detector";
            Set<Double> seen = new TreeSet<>();
            scrapes.get(service).lines().filter(l -> l.startsWith(name + "_bucket{") && l.contains(jobId))
                    .forEach(l -> labels(l).entrySet().stream().filter(e -> e.getKey().equals("le"))
                            .map(Map.Entry::getValue).filter(le -> !le.equals("+Inf"))
                            .forEach(le -> seen.add(Double.parseDouble(le))));
            assertThat(seen).as(name).containsExactlyElementsOf(bounds);
        });

        // issue 16: about 1,100 series for one job's SCIM request histogram before; now 15 per method plus _max
        long histogram = scrapes.get("scim-writer").lines()
                .filter(l -> l.startsWith("scim_writer_request_duration_seconds") && l.contains(jobId)).count();
        Map<String, Long> perService = new LinkedHashMap<>();
        scrapes.forEach((service, text) -> perService.put(service,
                text.lines().filter(l -> !l.startsWith("#") && l.contains("\"" + jobId + "\"")).count()));
        Map<String, Long> total = new LinkedHashMap<>();
        scrapes.forEach((service, text) -> total.put(service,
                text.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).count()));
        System.out.printf("MetricsEndToEndIT: series of job %s per service %s (all series per service %s); the "
                + "writer's request histogram for the job: %d series%n", jobId, perService, total, histogram);
        // the scrapes themselves, for whoever wants to read what an operator's Prometheus gets
        Path out = SharedLocalSystem.work("it/metrics");
        try {
            Files.createDirectories(out);
            for (var scrape : scrapes.entrySet()) {
                Files.writeString(out.resolve(scrape.getKey() + ".txt"), scrape.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(histogram).isBetween(16L, 5L * 16);
    }

    /** Each service's {@code /q/metrics}, by service name. */
    private static Map<String, String> scrapes() {
        Map<String, String> scrapes = new LinkedHashMap<>();
        for (String service : LocalSystem.SERVICES.keySet()) {
            try {
                HttpResponse<String> response = HTTP.send(HttpRequest
                        .newBuilder(URI.create(system.service(service).managementUrl() + "/q/metrics"))
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(service + " /q/metrics").isEqualTo(200);
                scrapes.put(service, response.body());
            } catch (IOException e) {
                throw new IllegalStateException("cannot scrape " + service, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return scrapes;
    }

    /** Series name to the label-name sets seen, of one exposition. */
    private static Map<String, Set<Set<String>>> series(String exposition) {
        Map<String, Set<Set<String>>> series = new LinkedHashMap<>();
        exposition.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).forEach(l -> {
            Matcher m = SERIES.matcher(l);
            if (m.find()) {
                series.computeIfAbsent(m.group(1), k -> new HashSet<>())
                        .add(new TreeSet<>(labels(l).keySet()));
            }
        });
        return series;
    }

    /** The labels of one sample line; an OpenMetrics exemplar ({@code # {trace_id=...} 1.0}) is not the sample's. */
    private static Map<String, String> labels(String line) {
        Map<String, String> labels = new LinkedHashMap<>();
        int exemplar = line.indexOf(" # {");
        String sample = exemplar < 0 ? line : line.substring(0, exemplar);
        int open = sample.indexOf('{');
        if (open < 0 || open > sample.indexOf(' ')) {
            return labels;
        }
        Matcher m = LABEL.matcher(sample.substring(open));
        while (m.find()) {
            labels.put(m.group(1), m.group(2));
        }
        return labels;
    }
}
