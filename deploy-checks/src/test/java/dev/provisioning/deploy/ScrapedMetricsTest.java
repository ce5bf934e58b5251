package dev.provisioning.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;

import org.junit.jupiter.api.Test;

class ScrapedMetricsTest {

    static final String SCRAPE = """
            # HELP scim_writer_requests_total SCIM requests
            # TYPE scim_writer_requests_total counter
            scim_writer_requests_total{method="POST",provisioning_job="j1",status="201",} 12.0
            scim_writer_request_duration_seconds_bucket{method="POST",provisioning_job="j1",le="0.1",} 3.0
            kafka_consumer_fetch_manager_records_lag{client_id="kafka-consumer-operations",consumer_group="scim-writer",kafka_version="4.1.2",partition="0",topic="provisioning.operations",} 0.0
            odd{v="a \\"quoted\\", {braced} value",provisioning_job="j2"} 1
            process_cpu_usage 0.02
            """;

    @Test
    void seriesAndTheirLabelNamesAreRead() {
        ScrapedMetrics scraped = new ScrapedMetrics().add(SCRAPE);

        assertThat(scraped.names()).contains("scim_writer_requests_total", "process_cpu_usage", "odd");
        assertThat(scraped.has("odd", Set.of("v", "provisioning_job"))).isTrue();
        assertThat(scraped.has("process_cpu_usage", Set.of())).isTrue();
    }

    @Test
    void missingMetricsAndLabelsAreNamedScrapeLabelsAreNotExpected() {
        ScrapedMetrics scraped = new ScrapedMetrics().add(SCRAPE);
        Set<String> scrapeLabels = Set.of("service", "instance", "job");

        assertThat(scraped.missing("panel", MetricUses.of(
                "sum by (consumer_group, topic, service) (kafka_consumer_fetch_manager_records_lag)"), scrapeLabels,
                Set.of())).isEmpty();
        assertThat(scraped.missing("panel", MetricUses.of("sum by (method, status) (scim_writer_requests_total)"),
                scrapeLabels, Set.of())).isEmpty();
        assertThat(scraped.missing("panel", MetricUses.of("sum by (code) (scim_writer_requests_total)"),
                scrapeLabels, Set.of())).singleElement().asString().contains("[code]");
        assertThat(scraped.missing("alert", MetricUses.of("up == 0 or notifier_outbox_pending"), scrapeLabels,
                Set.of("up"))).singleElement().asString().contains("no series notifier_outbox_pending");
    }
}
