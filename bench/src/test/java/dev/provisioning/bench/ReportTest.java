package dev.provisioning.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The result page of a run: which tables it holds and how the isolation scenario's windows are labelled. */
class ReportTest {

    @Test
    void anIsolationOnlyRunHasNoScenarioTablesAndLabelsTheTensHealthyWindow() {
        Map<String, UsageMeter.Usage> services = Map.of("scim-writer", new UsageMeter.Usage(1, 3.5, 300.0));
        Isolation.Window whole = new Isolation.Window(234, 7342, services, 15.3, 24.7, 225, 172.2);
        Isolation.Window healthy = new Isolation.Window(55, 6800, services, 12.1, 88.0, 225, 136.1);
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("usersPerJob", 1000);
        settings.put("warmUp", "500 users on a tenant of its own at the same rate before A1, not measured");
        Isolation.Result isolation = new Isolation.Result("ok", null, settings,
                List.of(new Isolation.Phase("alone-1", whole, null, List.of()),
                        new Isolation.Phase("ten", whole, healthy, List.of())),
                38.0, 2.0, true, 47.8, 1.3, 1.2, "ten jobs at 25 requests/s: healthy cycles ≤ 1.5x alone", "met");

        String md = Report.markdown(machine(), Map.of("jvmOptions", List.of("-Xmx576m")), List.of(), isolation, null);

        assertThat(md).doesNotContain("## Throughput", "## CPU seconds per 1,000 objects",
                "## CPU seconds and peak RSS", "## Per scenario");
        assertThat(md).contains("## Isolation", "| alone-1 | 234 | 7342 |", "| ten (whole phase) | 234 | 7342 |",
                "| **ten (healthy window)** | 55.00 | 6800 | 12.10 |", "136.1 % of the cores",
                "500 users on a tenant of its own at the same rate before A1, not measured");
        assertThat(md).doesNotContain("alone-1 (whole phase)");
    }

    @Test
    void aRunWithoutIsolationHasNoIsolationSection() {
        String md = Report.markdown(machine(), Map.of("jvmOptions", List.of("-Xmx576m")), List.of(), null,
                "stopped");

        assertThat(md).contains("**The run stopped early:** stopped").doesNotContain("## Isolation",
                "## Throughput");
    }

    private static Map<String, Object> machine() {
        return Map.of("date", "2026-12-02T02:00:00Z", "cores", 2, "memoryMiB", 24105, "cpu", "AMD EPYC", "java",
                "OpenJDK 17", "command", "java -jar bench/target/bench.jar --scenario isolation");
    }
}
