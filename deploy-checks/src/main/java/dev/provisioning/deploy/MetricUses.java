package dev.provisioning.deploy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.provisioning.deploy.PromQl.Aggregation;
import dev.provisioning.deploy.PromQl.Binary;
import dev.provisioning.deploy.PromQl.Call;
import dev.provisioning.deploy.PromQl.Expr;
import dev.provisioning.deploy.PromQl.Ranged;
import dev.provisioning.deploy.PromQl.Selector;
import dev.provisioning.deploy.PromQl.StringLiteral;
import dev.provisioning.deploy.PromQl.Unary;

/**
 * What a query needs of the metrics it reads: for every metric it selects, the labels the query matches, groups,
 * joins or prints on it. A query works only if each such metric exists with at least those labels; that is what the
 * checks compare against {@code deploy/METRICS.md} and against a live {@code /q/metrics}.
 *
 * <p>
 * The labels are followed through the expression the way Prometheus computes output labels ("Vector matching" and
 * "Aggregation operators" of the PromQL documentation): {@code sum by (a) (x)} needs {@code a} on {@code x}; a label
 * asked of its output that is not in {@code by (...)} is a mistake in the query (reported in {@link #problems()});
 * {@code x * on (a) group_left (b) y} needs {@code a} on both and {@code b} on {@code y}; {@code histogram_quantile}
 * needs {@code le}; label matchers need their label. The labels Prometheus adds when it scrapes ({@code job},
 * {@code instance}, ...) are included: callers decide which of them a service must not export.
 *
 * @param labelsByMetric each selected metric name with the labels the query needs on it, sorted
 * @param problems mistakes found in the query itself (a label asked of an output that cannot have it, an unknown
 *        function)
 */
public record MetricUses(Map<String, Set<String>> labelsByMetric, List<String> problems) {

    /** The functions whose output keeps the labels of their first (vector) argument. */
    private static final Set<String> LABEL_PRESERVING = Set.of("rate", "irate", "increase", "delta", "idelta",
            "deriv", "predict_linear", "avg_over_time", "min_over_time", "max_over_time", "sum_over_time",
            "count_over_time", "quantile_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time",
            "present_over_time", "mad_over_time", "abs", "ceil", "floor", "round", "clamp", "clamp_min",
            "clamp_max", "exp", "ln", "log2", "log10", "sqrt", "sgn", "resets", "changes", "timestamp", "sort",
            "sort_desc", "sort_by_label", "sort_by_label_desc", "holt_winters", "double_exponential_smoothing",
            "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh", "deg",
            "rad", "minute", "hour", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "month",
            "year");

    /** The functions whose output has no labels of their arguments. */
    private static final Set<String> LABEL_FREE = Set.of("time", "vector", "scalar", "pi", "absent",
            "absent_over_time");

    private static final Pattern TEMPLATE_LABEL = Pattern.compile("\\$labels\\.([a-zA-Z_][a-zA-Z0-9_]*)");

    private static final Pattern LEGEND_LABEL = Pattern.compile("\\{\\{\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*}}");

    /** What {@code query} needs of its metrics; a Grafana variable query ({@code label_values}, ...) is understood. */
    public static MetricUses of(String query) {
        return of(query, Set.of());
    }

    /**
     * What {@code query} needs of its metrics when its output must carry {@code outputLabels} too (an alert whose
     * annotations print {@code $labels.x}, a panel whose legend prints {@code {{x}}}).
     *
     * @throws IllegalArgumentException when {@code query} is not PromQL
     */
    public static MetricUses of(String query, Set<String> outputLabels) {
        Map<String, Set<String>> uses = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        String trimmed = query.trim();
        Matcher labelValues = Pattern.compile("(?s)^label_values\\((.*),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)$")
                .matcher(trimmed);
        Matcher queryResult = Pattern.compile("(?s)^query_result\\((.*)\\)$").matcher(trimmed);
        if (labelValues.matches()) {
            walk(PromQl.parse(labelValues.group(1)), Set.of(labelValues.group(2)), uses, problems);
        } else if (trimmed.matches("^label_values\\(\\s*[a-zA-Z_][a-zA-Z0-9_]*\\s*\\)$")) {
            // label_values(label): any metric, nothing to check
        } else if (queryResult.matches()) {
            walk(PromQl.parse(queryResult.group(1)), outputLabels, uses, problems);
        } else {
            walk(PromQl.parse(query), outputLabels, uses, problems);
        }
        Map<String, Set<String>> sorted = new TreeMap<>();
        uses.forEach((metric, labels) -> sorted.put(metric, new TreeSet<>(labels)));
        return new MetricUses(sorted, List.copyOf(problems));
    }

    /** The labels an alert's annotations print: {@code {{ $labels.x }}}. */
    public static Set<String> labelsInAnnotations(Collection<String> templates) {
        return find(TEMPLATE_LABEL, templates);
    }

    /** The labels a Grafana legend prints: {@code {{x}}}. */
    public static Set<String> labelsInLegend(String legend) {
        return legend == null ? Set.of() : find(LEGEND_LABEL, List.of(legend));
    }

    private static Set<String> find(Pattern pattern, Collection<String> texts) {
        Set<String> labels = new TreeSet<>();
        for (String text : texts) {
            Matcher m = pattern.matcher(text);
            while (m.find()) {
                labels.add(m.group(1));
            }
        }
        return labels;
    }

    /** {@code needed} are the labels asked of {@code expr}'s output. */
    private static void walk(Expr expr, Set<String> needed, Map<String, Set<String>> uses, List<String> problems) {
        if (expr instanceof Selector s) {
            if (s.metric() == null) {
                problems.add("a selector without a metric name: " + s.matchers());
                return;
            }
            Set<String> labels = uses.computeIfAbsent(s.metric(), k -> new HashSet<>());
            labels.addAll(needed);
            s.matchers().stream().map(PromQl.Matcher::label).filter(l -> !l.equals("__name__"))
                    .forEach(labels::add);
        } else if (expr instanceof Unary u) {
            walk(u.inner(), needed, uses, problems);
        } else if (expr instanceof Ranged r) {
            walk(r.inner(), needed, uses, problems);
        } else if (expr instanceof Call c) {
            call(c, needed, uses, problems);
        } else if (expr instanceof Aggregation a) {
            aggregation(a, needed, uses, problems);
        } else if (expr instanceof Binary b) {
            binary(b, needed, uses, problems);
        }
        // number and string literals: no labels, nothing needed
    }

    private static void call(Call c, Set<String> needed, Map<String, Set<String>> uses, List<String> problems) {
        String f = c.function();
        List<Expr> args = c.args();
        if (f.equals("histogram_quantile") && args.size() == 2) {
            walk(args.get(0), Set.of(), uses, problems);
            walk(args.get(1), union(needed, Set.of("le")), uses, problems);
        } else if (f.equals("label_replace") && args.size() == 5) {
            Set<String> inner = new HashSet<>(needed);
            inner.remove(string(args.get(1)));
            String source = string(args.get(3));
            if (source != null && !source.isEmpty()) {
                inner.add(source);
            }
            walk(args.get(0), inner, uses, problems);
        } else if (f.equals("label_join") && args.size() >= 3) {
            Set<String> inner = new HashSet<>(needed);
            inner.remove(string(args.get(1)));
            args.subList(3, args.size()).stream().map(MetricUses::string).filter(s -> s != null && !s.isEmpty())
                    .forEach(inner::add);
            walk(args.get(0), inner, uses, problems);
        } else if (LABEL_PRESERVING.contains(f)) {
            for (int i = 0; i < args.size(); i++) {
                walk(args.get(i), i == 0 ? needed : Set.of(), uses, problems);
            }
        } else if (LABEL_FREE.contains(f)) {
            args.forEach(a -> walk(a, Set.of(), uses, problems));
        } else {
            problems.add("unknown function " + f + "()");
            args.forEach(a -> walk(a, needed, uses, problems));
        }
    }

    private static void aggregation(Aggregation a, Set<String> needed, Map<String, Set<String>> uses,
            List<String> problems) {
        if (a.param() != null) {
            walk(a.param(), Set.of(), uses, problems);
        }
        Set<String> grouping = a.grouping() == null ? Set.of() : new LinkedHashSet<>(a.grouping());
        String op = a.op();
        if (op.equals("topk") || op.equals("bottomk") || op.equals("limitk") || op.equals("limit_ratio")) {
            // these select series and keep all their labels
            walk(a.inner(), union(needed, a.without() ? Set.of() : grouping), uses, problems);
            return;
        }
        Set<String> output = new HashSet<>(a.without() ? Set.of() : grouping);
        if (op.equals("count_values") && a.param() != null) {
            output.add(string(a.param()));
        }
        if (a.without()) {
            for (String label : needed) {
                if (grouping.contains(label)) {
                    problems.add(label + " is asked of " + op + " without (" + String.join(", ", grouping)
                            + "), which removes it");
                }
            }
            walk(a.inner(), minus(needed, grouping), uses, problems);
            return;
        }
        for (String label : needed) {
            if (!output.contains(label)) {
                problems.add(label + " is asked of " + op
                        + (a.grouping() == null ? "(...)" : " by (" + String.join(", ", grouping) + ")")
                        + ", whose output does not have it");
            }
        }
        walk(a.inner(), grouping, uses, problems);
    }

    private static void binary(Binary b, Set<String> needed, Map<String, Set<String>> uses, List<String> problems) {
        boolean leftScalar = PromQl.isScalar(b.left());
        boolean rightScalar = PromQl.isScalar(b.right());
        if (leftScalar || rightScalar) {
            walk(b.left(), leftScalar ? Set.of() : needed, uses, problems);
            walk(b.right(), rightScalar ? Set.of() : needed, uses, problems);
            return;
        }
        Set<String> matching = b.matching() == null ? Set.of() : new LinkedHashSet<>(b.matching());
        Set<String> include = new LinkedHashSet<>(b.include());
        if (PromQl.isSetOperator(b.op())) {
            Set<String> joined = b.on() ? matching : Set.of();
            walk(b.left(), union(needed, joined), uses, problems);
            // or: the right side's series appear in the output too
            walk(b.right(), b.op().equals("or") ? union(needed, joined) : joined, uses, problems);
            return;
        }
        if (b.group() == null) {
            if (b.on()) {
                for (String label : needed) {
                    if (!matching.contains(label)) {
                        problems.add(label + " is asked of a one-to-one match on (" + String.join(", ", matching)
                                + "), whose output keeps only those labels");
                    }
                }
                walk(b.left(), matching, uses, problems);
                walk(b.right(), matching, uses, problems);
            } else {
                // without on(): both sides must carry the same labels (ignoring(...) excepted)
                Set<String> both = minus(needed, matching);
                walk(b.left(), both, uses, problems);
                walk(b.right(), both, uses, problems);
            }
            return;
        }
        boolean left = b.group().equals("group_left");
        Expr many = left ? b.left() : b.right();
        Expr one = left ? b.right() : b.left();
        Set<String> joinedOn = b.on() ? matching : Set.of();
        walk(many, union(minus(needed, include), joinedOn), uses, problems);
        walk(one, union(joinedOn, include), uses, problems);
    }

    private static String string(Expr expr) {
        return expr instanceof StringLiteral s ? s.value() : null;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new HashSet<>(a);
        u.addAll(b);
        return u;
    }

    private static Set<String> minus(Set<String> a, Set<String> b) {
        Set<String> m = new HashSet<>(a);
        m.removeAll(b);
        return m;
    }
}
