package dev.provisioning.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The PromQL queries of the Grafana dashboard and of the Prometheus alert rules, each with the labels its output must
 * carry (what a panel's legend or an alert's annotations print).
 */
public final class Queries {

    /**
     * One query.
     *
     * @param where what it belongs to, for messages ({@code panel 'Consumer lag' (B)}, {@code alert X},
     *        {@code variable provisioning_job})
     * @param expr the PromQL (or Grafana variable query) as written
     * @param printed the labels its output must carry because they are printed
     */
    public record Query(String where, String expr, Set<String> printed) {

        /** What this query needs of the metrics it reads. */
        public MetricUses uses() {
            return MetricUses.of(expr, printed);
        }
    }

    /**
     * One alert rule.
     *
     * @param labels the rule's own labels (severity)
     * @param annotations summary, runbook_url, ...
     */
    public record Alert(String name, String expr, Map<String, String> labels, Map<String, String> annotations) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private Queries() {
    }

    /** Every target expression of every panel (rows' nested panels included) and every query variable. */
    public static List<Query> dashboard(Path file) {
        JsonNode dashboard;
        try {
            dashboard = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Query> queries = new ArrayList<>();
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if (variable.path("type").asText().equals("query")) {
                JsonNode query = variable.path("query");
                String expr = query.isObject() ? query.path("query").asText() : query.asText();
                queries.add(new Query("variable " + variable.path("name").asText(), expr, Set.of()));
            }
        }
        panels(dashboard.path("panels"), queries);
        return queries;
    }

    private static void panels(JsonNode panels, List<Query> queries) {
        for (JsonNode panel : panels) {
            panels(panel.path("panels"), queries);
            for (JsonNode target : panel.path("targets")) {
                if (target.hasNonNull("expr")) {
                    queries.add(new Query("panel '" + panel.path("title").asText() + "' ("
                            + target.path("refId").asText() + ")", target.path("expr").asText(),
                            MetricUses.labelsInLegend(target.path("legendFormat").asText(null))));
                }
            }
        }
    }

    /** Every rule of a Prometheus rule file (alerting and recording rules alike have an expr). */
    @SuppressWarnings("unchecked")
    public static List<Alert> alerts(Path file) {
        Map<String, Object> rules;
        try (InputStream in = Files.newInputStream(file)) {
            rules = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Alert> alerts = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) rules.get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                String name = String.valueOf(rule.getOrDefault("alert", rule.get("record")));
                alerts.add(new Alert(name, String.valueOf(rule.get("expr")), strings(rule.get("labels")),
                        strings(rule.get("annotations"))));
            }
        }
        return alerts;
    }

    /** The alert rules as queries whose output must carry what their annotations print. */
    public static List<Query> alertQueries(Path file) {
        return alerts(file).stream().map(a -> new Query("alert " + a.name(), a.expr(),
                new TreeSet<>(MetricUses.labelsInAnnotations(a.annotations().values())))).toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> strings(Object map) {
        if (map == null) {
            return Map.of();
        }
        Map<String, String> out = new java.util.LinkedHashMap<>();
        ((Map<String, Object>) map).forEach((k, v) -> out.put(k, String.valueOf(v)));
        return out;
    }
}
