package dev.provisioning.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric specification, {@code deploy/METRICS.md}, as data: every metric row of its tables (first cell the
 * Prometheus name in backticks, then the type, then the labels in backticks), the labels Prometheus adds when it
 * scrapes (the table whose first column is "label" under the heading "Labels Prometheus adds") and the histogram
 * buckets of each "Histogram buckets of ..." sentence.
 *
 * @param metrics the specified metrics by Prometheus name, in document order
 * @param scrapeLabels the labels Prometheus adds at scrape time ({@code job}, {@code instance}, {@code service}, ...)
 * @param buckets each histogram's SLO bucket boundaries in seconds, by base name
 */
public record MetricsSpec(Map<String, Metric> metrics, Set<String> scrapeLabels, Map<String, List<Double>> buckets) {

    /** The kinds of metric in the tables. {@code SCRAPE} is made by Prometheus itself ({@code up}). */
    public enum Type {
        COUNTER, GAUGE, HISTOGRAM, SCRAPE
    }

    /**
     * One specified metric.
     *
     * @param name the Prometheus name (for a histogram, the base: {@code _bucket}, {@code _count}, {@code _sum} and
     *        {@code _max} follow from it)
     * @param section the heading it is listed under (the service, or "Kafka clients", ...)
     */
    public record Metric(String name, Type type, Set<String> labels, String section) {
    }

    /** A series name resolved to its metric, with the labels that series has ({@code le} on a histogram bucket). */
    public record Series(Metric metric, Set<String> labels) {
    }

    private static final Pattern ROW = Pattern
            .compile("^\\|\\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`\\s*\\|\\s*([a-z]+)\\s*\\|([^|]*)\\|");
    private static final Pattern SCRAPE_ROW = Pattern.compile("^\\|\\s*`([a-zA-Z_][a-zA-Z0-9_]*)`\\s*\\|");
    private static final Pattern BACKTICKED = Pattern.compile("`([^`]+)`");
    private static final Pattern BUCKETS = Pattern.compile("Histogram buckets of (.+?)\\(seconds\\):\\s*([0-9., ]+)");

    /** Reads {@code deploy/METRICS.md}. */
    public static MetricsSpec read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses the specification's text. */
    public static MetricsSpec parse(String markdown) {
        Map<String, Metric> metrics = new LinkedHashMap<>();
        Set<String> scrapeLabels = new LinkedHashSet<>();
        String section = "";
        boolean inScrapeTable = false;
        for (String line : markdown.split("\n")) {
            if (line.startsWith("#")) {
                section = line.replaceFirst("^#+\\s*", "").trim();
                inScrapeTable = section.startsWith("Labels Prometheus adds");
                continue;
            }
            if (inScrapeTable) {
                Matcher scrape = SCRAPE_ROW.matcher(line);
                if (scrape.find()) {
                    scrapeLabels.add(scrape.group(1));
                }
                continue;
            }
            Matcher row = ROW.matcher(line);
            if (!row.find()) {
                continue;
            }
            Type type;
            try {
                type = Type.valueOf(row.group(2).toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException notAMetricRow) {
                continue; // a table of label values, not of metrics
            }
            Set<String> labels = new LinkedHashSet<>();
            Matcher label = BACKTICKED.matcher(row.group(3));
            while (label.find()) {
                labels.add(label.group(1));
            }
            Metric previous = metrics.put(row.group(1), new Metric(row.group(1), type, Set.copyOf(labels), section));
            if (previous != null) {
                throw new IllegalArgumentException("METRICS.md lists " + row.group(1) + " twice");
            }
        }
        Map<String, List<Double>> buckets = new LinkedHashMap<>();
        Matcher b = BUCKETS.matcher(markdown.replace('\n', ' '));
        while (b.find()) {
            List<Double> bounds = Arrays.stream(b.group(2).split(",")).map(String::trim)
                    .filter(s -> !s.isEmpty()).map(s -> s.endsWith(".") ? s.substring(0, s.length() - 1) : s)
                    .filter(s -> !s.isEmpty()).map(Double::valueOf).toList();
            Matcher names = BACKTICKED.matcher(b.group(1));
            while (names.find()) {
                buckets.put(names.group(1), bounds);
            }
        }
        return new MetricsSpec(Map.copyOf(metrics), Set.copyOf(scrapeLabels), Map.copyOf(buckets));
    }

    /** The metrics Prometheus makes itself ({@code up}): a live scrape of the services does not have them. */
    public Set<String> notExported() {
        return metrics.values().stream().filter(m -> m.type() == Type.SCRAPE).map(Metric::name)
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    /**
     * The specified metric a series name belongs to: the name itself, or a histogram's {@code _bucket} (which adds
     * {@code le}), {@code _count}, {@code _sum} or {@code _max}.
     */
    public Optional<Series> series(String name) {
        Metric direct = metrics.get(name);
        if (direct != null && direct.type() != Type.HISTOGRAM) {
            return Optional.of(new Series(direct, direct.labels()));
        }
        for (String suffix : List.of("_bucket", "_count", "_sum", "_max")) {
            if (name.endsWith(suffix)) {
                Metric histogram = metrics.get(name.substring(0, name.length() - suffix.length()));
                if (histogram != null && histogram.type() == Type.HISTOGRAM) {
                    Set<String> labels = new LinkedHashSet<>(histogram.labels());
                    if (suffix.equals("_bucket")) {
                        labels.add("le");
                    }
                    return Optional.of(new Series(histogram, Set.copyOf(labels)));
                }
            }
        }
        return Optional.empty();
    }

    /**
     * What is wrong with {@code uses} against this specification: metrics it does not list, labels it does not give
     * them (scrape labels are accepted on every metric), and the query's own problems.
     *
     * @param where names the query in the messages ("alert X", "panel 'Y'")
     */
    public List<String> check(String where, MetricUses uses) {
        List<String> errors = new ArrayList<>();
        uses.problems().forEach(p -> errors.add(where + ": " + p));
        uses.labelsByMetric().forEach((name, labels) -> {
            Optional<Series> series = series(name);
            if (series.isEmpty()) {
                errors.add(where + ": metric " + name + " is not in METRICS.md");
                return;
            }
            for (String label : labels) {
                if (!series.get().labels().contains(label) && !scrapeLabels.contains(label)) {
                    errors.add(where + ": " + name + " has no label " + label + " in METRICS.md (it has "
                            + series.get().labels() + ", and Prometheus adds " + scrapeLabels + ")");
                }
            }
        });
        return errors;
    }
}
