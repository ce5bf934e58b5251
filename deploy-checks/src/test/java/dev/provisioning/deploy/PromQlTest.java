package dev.provisioning.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.provisioning.deploy.PromQl.Binary;
import dev.provisioning.deploy.PromQl.Selector;

class PromQlTest {

    @Test
    void aggregationByNeedsItsGroupingLabelsOnTheMetric() {
        MetricUses uses = MetricUses.of("sum by (provisioning_job, status) (rate(scim_writer_results_total[5m]))");

        assertThat(uses.labelsByMetric()).isEqualTo(Map.of("scim_writer_results_total",
                Set.of("provisioning_job", "status")));
        assertThat(uses.problems()).isEmpty();
    }

    @Test
    void groupingAfterTheArgumentCountsToo() {
        MetricUses uses = MetricUses.of("sum(rate(x_total{a=\"1\"}[5m])) by (b)");

        assertThat(uses.labelsByMetric()).isEqualTo(Map.of("x_total", Set.of("a", "b")));
    }

    @Test
    void matchersNeedTheirLabelsEvenWhenNegative() {
        MetricUses uses = MetricUses
                .of("max(q{reason!=\"InvalidCredentials\", provisioning_job=~\"$provisioning_job\"})");

        assertThat(uses.labelsByMetric().get("q")).containsExactlyInAnyOrder("reason", "provisioning_job");
    }

    @Test
    void histogramQuantileNeedsLe() {
        MetricUses uses = MetricUses.of(
                "histogram_quantile(0.95, sum by (le, method) (rate(d_seconds_bucket{j=~\"$j\"}[$__rate_interval])))");

        assertThat(uses.labelsByMetric()).isEqualTo(Map.of("d_seconds_bucket", Set.of("le", "method", "j")));
        assertThat(uses.problems()).isEmpty();
    }

    @Test
    void aLabelAskedOfAnAggregationThatDropsItIsAProblem() {
        MetricUses uses = MetricUses.of("sum by (topic) (lag)", Set.of("consumer_group"));

        assertThat(uses.problems()).singleElement().asString().contains("consumer_group");
    }

    @Test
    void groupLeftNeedsTheJoinLabelsOnBothSidesAndTheIncludedOnTheOneSide() {
        MetricUses uses = MetricUses.of(
                "max by (provisioning_job) (progress) * on (provisioning_job) group_left (job_name) max by (provisioning_job, job_name) (info)",
                Set.of("job_name"));

        assertThat(uses.problems()).isEmpty();
        assertThat(uses.labelsByMetric()).isEqualTo(Map.of("progress", Set.of("provisioning_job"), "info",
                Set.of("provisioning_job", "job_name")));
    }

    @Test
    void oneToOneMatchOnKeepsOnlyTheMatchingLabels() {
        MetricUses uses = MetricUses.of("a and on (x) b", Set.of("y"));
        assertThat(uses.labelsByMetric()).isEqualTo(Map.of("a", Set.of("x", "y"), "b", Set.of("x")));

        MetricUses arithmetic = MetricUses.of("a / on (x) b", Set.of("y"));
        assertThat(arithmetic.problems()).singleElement().asString().contains("y");
    }

    @Test
    void scalarsNeitherCarryNorNeedLabels() {
        MetricUses uses = MetricUses.of("max by (j) (expiry) - time() < 30 * 86400", Set.of("j"));

        assertThat(uses.problems()).isEmpty();
        assertThat(uses.labelsByMetric()).isEqualTo(Map.of("expiry", Set.of("j")));
    }

    @Test
    void precedenceFollowsPromQl() {
        PromQl.Expr expr = PromQl.parse("a > 2 * b and on (j) c == 1 unless on (j) d == 1");

        Binary unless = (Binary) expr;
        assertThat(unless.op()).isEqualTo("unless");
        Binary and = (Binary) unless.left();
        assertThat(and.op()).isEqualTo("and");
        assertThat(((Binary) and.left()).op()).isEqualTo(">");
        assertThat(((Binary) ((Binary) and.left()).right()).op()).isEqualTo("*");
        assertThat(((Binary) unless.right()).op()).isEqualTo("==");
    }

    @Test
    void stringsKeepTheirEscapesMeaning() {
        PromQl.Expr expr = PromQl.parse("x{topic=~\".+\\\\.dlq\", y='it\\'s'}");
        Selector x = (Selector) expr;
        assertThat(x.matchers()).extracting(PromQl.Matcher::value).containsExactly(".+\\.dlq", "it's");
    }

    @Test
    void subqueriesOffsetsAndGrafanaVariablesParse() {
        MetricUses uses = MetricUses.of(
                "max_over_time(sum by (g) (rate(c_total[$__rate_interval]))[1h:5m] offset 1d) > ${threshold}");

        assertThat(uses.labelsByMetric()).isEqualTo(Map.of("c_total", Set.of("g")));
        assertThat(uses.problems()).isEmpty();
    }

    @Test
    void grafanaVariableQueriesAreUnderstood() {
        assertThat(MetricUses.of("label_values(info{a=\"1\"}, provisioning_job)").labelsByMetric())
                .isEqualTo(Map.of("info", Set.of("a", "provisioning_job")));
        assertThat(MetricUses.of("query_result(provisioning_detector_job_info)").labelsByMetric())
                .containsOnlyKeys("provisioning_detector_job_info");
    }

    @Test
    void templatesNameTheLabelsTheyPrint() {
        assertThat(MetricUses.labelsInAnnotations(java.util.List.of(
                "Job {{ $labels.provisioning_job }} ({{ $labels.reason }}) {{ $value | humanize }}")))
                .containsExactly("provisioning_job", "reason");
        assertThat(MetricUses.labelsInLegend("{{consumer_group}} {{ topic }}"))
                .containsExactly("consumer_group", "topic");
    }

    @Test
    void unknownFunctionsAndBadSyntaxAreReported() {
        assertThat(MetricUses.of("rated(x[5m])").problems()).singleElement().asString().contains("rated");
        assertThatThrownBy(() -> PromQl.parse("sum by (a (x)")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("offset");
        assertThatThrownBy(() -> PromQl.parse("x{a=1}")).hasMessageContaining("quoted label value");
    }
}
