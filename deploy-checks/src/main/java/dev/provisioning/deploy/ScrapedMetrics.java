package dev.provisioning.deploy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What one or more {@code /q/metrics} scrapes expose: for each series name, the label sets seen. Parses the Prometheus
 * text exposition format 0.0.4 (comments, {@code name{label="value",...} value [timestamp]}); label values may contain
 * escaped quotes, commas and braces. For the end-to-end check that every metric a query uses exists with the labels the
 * query needs:
 *
 * <pre>
 * MetricsSpec spec = MetricsSpec.read(deploy.resolve("METRICS.md"));
 * ScrapedMetrics scraped = new ScrapedMetrics().add(detectorMetrics).add(mapperMetrics); // ... every service
 * for (Queries.Query q : Queries.dashboard(deploy.resolve("grafana/provisioning-dashboard.json"))) {
 *     errors.addAll(scraped.missing(q.where(), q.uses(), spec.scrapeLabels(), spec.notExported()));
 * }
 * // the same for Queries.alertQueries(deploy.resolve("prometheus/alerts.yaml"))
 * </pre>
 */
public final class ScrapedMetrics {

    private final Map<String, Set<Set<String>>> labelSets = new HashMap<>();

    /** Adds one scrape's text (call once per service and replica). */
    public ScrapedMetrics add(String exposition) {
        for (String line : exposition.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int brace = l.indexOf('{');
            int space = l.indexOf(' ');
            if (brace < 0 || (space >= 0 && space < brace)) {
                labelSets.computeIfAbsent(l.substring(0, space < 0 ? l.length() : space), k -> new HashSet<>())
                        .add(Set.of());
                continue;
            }
            String name = l.substring(0, brace);
            labelSets.computeIfAbsent(name, k -> new HashSet<>()).add(labelNames(l, brace + 1));
        }
        return this;
    }

    private static Set<String> labelNames(String line, int from) {
        Set<String> names = new TreeSet<>();
        int i = from;
        while (i < line.length() && line.charAt(i) != '}') {
            int eq = line.indexOf('=', i);
            names.add(line.substring(i, eq).strip());
            i = eq + 2; // past ="
            while (i < line.length() && line.charAt(i) != '"') {
                i += line.charAt(i) == '\\' ? 2 : 1;
            }
            i++; // past the closing quote
            if (i < line.length() && line.charAt(i) == ',') {
                i++;
            }
        }
        return Set.copyOf(names);
    }

    /** The series names seen. */
    public Set<String> names() {
        return Set.copyOf(labelSets.keySet());
    }

    /** Whether some series {@code name} carries at least {@code labels}. */
    public boolean has(String name, Collection<String> labels) {
        return labelSets.getOrDefault(name, Set.of()).stream().anyMatch(set -> set.containsAll(labels));
    }

    /**
     * What {@code uses} need that the scrapes do not have: a metric with no series at all, or none with the labels the
     * query needs. Labels in {@code scrapeLabels} (added by Prometheus) are not expected from the services, and metrics
     * of {@code notExported} (Prometheus' own {@code up}) are skipped.
     */
    public List<String> missing(String where, MetricUses uses, Set<String> scrapeLabels, Set<String> notExported) {
        List<String> missing = new ArrayList<>();
        uses.labelsByMetric().forEach((name, labels) -> {
            if (notExported.contains(name)) {
                return;
            }
            Set<String> expected = new TreeSet<>(labels);
            expected.removeAll(scrapeLabels);
            if (!labelSets.containsKey(name)) {
                missing.add(where + ": no series " + name + " on any /q/metrics");
            } else if (!has(name, expected)) {
                missing.add(where + ": no series " + name + " with labels " + expected + " (seen: "
                        + labelSets.get(name) + ")");
            }
        });
        return missing;
    }
}
