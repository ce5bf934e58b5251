package dev.provisioning.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.demo.LocalSystem;
import dev.provisioning.events.Json;

/**
 * Runs the benchmark command's quick variant end to end (the packaged services, a few hundred users, every scenario)
 * and checks what it reports: every scenario completed with Druva holding exactly what the directory says, and
 * {@code result.json} carries every figure of every scenario. It checks no speed: figures of a quick run on a shared
 * machine mean nothing; the full run is the benchmark.
 */
class BenchQuickIT {

    private static final List<String> SERVICES = List.of("change-detector", "mapper-service", "scim-writer",
            "notifier");

    @Test
    void quickRunCompletesEveryScenarioWithAZeroFinalStateDiffAndReportsEveryFigure() throws Exception {
        Path output = LocalSystem.findHome().resolve("bench/target/bench-quick");

        int exit = BenchCommand.execute(new String[]{"--quick", "--output", output.toString()}, System.out);

        JsonNode result = Json.mapper().readTree(output.resolve("result.json").toFile());
        assertThat(result.path("error").isNull()).as("the run's error: %s", result.path("error")).isTrue();
        assertThat(result.path("machine").path("cores").asInt()).isPositive();
        assertThat(result.path("run").path("jvmOptions")).isNotEmpty();
        List<String> kinds = new ArrayList<>();
        result.path("scenarios").forEach(s -> kinds.add(s.path("kind").asText()));
        assertThat(kinds).containsExactly("initial-unlimited", "incremental", "faults", "replicas",
                "replicas-limited", "initial-limited");

        for (JsonNode s : result.path("scenarios")) {
            String name = s.path("name").asText();
            assertThat(s.path("status").asText()).as("%s: %s", name, s.path("error")).isEqualTo("ok");
            assertThat(s.path("diff").path("total").asInt()).as("%s final-state diff: %s", name,
                    s.path("diff").path("examples")).isZero();
            assertThat(s.path("objects").asLong()).as(name).isPositive();
            assertNumber(s, "seconds", "objectsPerSecond", "machineBusyPercent", "requests/total",
                    "requests/userRequests", "requests/perObject", "cpuSecondsPer1000Objects/services",
                    "cpuSecondsPer1000Objects/all", "cpuSecondsPer1000Objects/launcher",
                    "cpuSecondsPer1000Objects/postgres", "services/launcher/cpuSeconds",
                    "services/launcher/peakRssMiB", "services/postgres/cpuSeconds");
            for (String service : SERVICES) {
                assertNumber(s, "cpuSecondsPer1000Objects/" + service, "services/" + service + "/cpuSeconds",
                        "services/" + service + "/peakRssMiB");
                assertThat(s.at("/services/" + service + "/peakRssMiB").asDouble()).as("%s %s", name, service)
                        .isPositive();
            }
            assertThat(s.at("/services/scim-writer/cpuSeconds").asDouble()).as(name).isPositive();
            assertThat(s.path("cycles")).as(name).isNotEmpty();
            switch (s.path("kind").asText()) {
                case "initial-unlimited" -> {
                    assertNumber(s, "usersPerSecond", "requests/perCreatedUser", "requests/perMembership",
                            "baseline/secondsRatio",
                            "baseline/cpuRatio", "baseline/kafka/seconds", "baseline/kafka/recordsPerSecond");
                    assertThat(s.at("/baseline/kafka/consumed").asLong()).as(name)
                            .isGreaterThanOrEqualTo(s.at("/baseline/kafka/records").asLong()).isPositive();
                }
                case "incremental" -> {
                    assertNumber(s, "latency/p50Ms", "latency/p90Ms", "latency/p99Ms", "latency/maxMs");
                    assertThat(s.at("/latency/delivered").asInt()).as(name).isEqualTo(s.at("/latency/changes").asInt())
                            .isPositive();
                }
                case "faults" -> {
                    assertNumber(s, "usersPerSecond", "requests/perCreatedUser", "requests/perMembership",
                            "comparison/timeLostSeconds");
                    assertThat(s.at("/requests/serverErrors").asInt()).as(name).isPositive();
                }
                case "replicas" -> {
                    assertNumber(s, "usersPerSecond", "requests/perCreatedUser", "requests/perMembership",
                            "comparison/speedup");
                    assertThat(s.at("/services/scim-writer/processes").asInt()).as(name).isEqualTo(2);
                    assertThat(s.at("/services/mapper-service/processes").asInt()).as(name).isEqualTo(2);
                }
                case "replicas-limited", "initial-limited" -> assertNumber(s, "usersPerSecond",
                        "requests/perCreatedUser", "requests/perMembership", "requests/acceptedPerSecond",
                        "requests/creationPerSecond", "requests/percentOfLimit");
                default -> throw new AssertionError("unexpected scenario kind in " + name);
            }
        }
        assertIsolation(result.path("isolation"));
        assertThat(Files.readString(output.resolve("result.md"))).contains("## Throughput", "## CPU seconds per 1,000 "
                + "objects", "initial-limited", "## Isolation", "healthy cycles ≤ 1.5x alone");
        assertThat(exit).isZero();
    }

    /**
     * The isolation scenario: every job that runs to the end exact, the broken job failed having sent nothing, the
     * deleted job deleted, every figure present. No ratio is asserted: it is the full run's measurement.
     */
    private static void assertIsolation(JsonNode isolation) {
        assertThat(isolation.path("status").asText()).as("isolation: %s", isolation.path("error")).isEqualTo("ok");
        List<String> phases = new ArrayList<>();
        isolation.path("phases").forEach(p -> phases.add(p.path("name").asText()));
        assertThat(phases).containsExactly("alone-1", "six", "ten", "alone-2");
        assertNumber(isolation, "aloneCycleSeconds", "driftPercent", "sixCycleSeconds", "healthyRatioMax",
                "healthyRatioMedian");
        assertThat(isolation.path("verdict").asText()).as("the verdict is computed").isIn("met", "missed",
                "met (unreliable: A1 and A2 differ by " + Math.round(isolation.path("driftPercent").asDouble())
                        + " %)",
                "missed (unreliable: A1 and A2 differ by "
                        + Math.round(isolation.path("driftPercent").asDouble()) + " %)");
        List<String> tenKinds = new ArrayList<>();
        for (JsonNode phase : isolation.path("phases")) {
            String name = phase.path("name").asText();
            assertNumber(phase, "seconds", "cpuMsPerObject", "machineBusyPercent", "tenantRequestsPerSecond",
                    "capacityPercent");
            for (String service : SERVICES) {
                assertNumber(phase, "services/" + service + "/cpuSeconds");
            }
            assertNumber(phase, "services/launcher/cpuSeconds", "services/postgres/cpuSeconds");
            for (JsonNode job : phase.path("jobs")) {
                String label = name + " " + job.path("job").asText();
                String kind = job.path("kind").asText();
                if (name.equals("ten")) {
                    tenKinds.add(kind);
                }
                assertThat(job.path("note").isNull()).as("%s: %s", label, job.path("note")).isTrue();
                switch (kind) {
                    case "broken" -> {
                        assertThat(job.path("cycleStatus").asText()).as(label).isEqualTo("FAILED");
                        assertThat(job.path("requests").asInt()).as("requests of %s", label).isZero();
                    }
                    case "deleted" -> {
                        assertThat(job.path("cycleStatus").asText()).as(label).startsWith("deleted at");
                        assertThat(job.path("requests").asInt()).as("requests of %s", label).isPositive();
                    }
                    default -> {
                        assertThat(job.path("diff").isInt()).as(label).isTrue();
                        assertThat(job.path("diff").asInt()).as("final-state diff of %s", label).isZero();
                        assertThat(job.path("cycleStatus").asText()).as(label).isEqualTo("COMPLETED");
                        assertNumber(job, "cycleSeconds", "firstRequestToLastWriteSeconds", "ratioToAlone");
                        assertThat(job.path("requests").asInt()).as(label).isGreaterThanOrEqualTo(
                                job.path("users").asInt() / 2);
                        if (name.equals("ten")) {
                            assertNumber(job, "ratioToSix");
                        }
                    }
                }
                if (kind.equals("graph-throttled")) {
                    assertThat(job.path("sourceThrottled").asInt()).as("Graph's 429s").isEqualTo(4);
                }
            }
        }
        assertThat(tenKinds).containsExactlyInAnyOrder("healthy", "healthy", "healthy", "healthy", "healthy",
                "healthy", "slow", "graph-throttled", "deleted", "broken");
    }

    private static void assertNumber(JsonNode scenario, String... paths) {
        for (String path : paths) {
            JsonNode value = scenario.at("/" + path);
            assertThat(value.isNumber()).as("%s: %s is a number (%s)", scenario.path("name").asText(scenario.path("job")
                    .asText()), path, value)
                    .isTrue();
        }
    }
}
