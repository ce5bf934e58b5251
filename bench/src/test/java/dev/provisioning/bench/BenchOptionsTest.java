package dev.provisioning.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.provisioning.demo.LocalSystem;

/** The services' JVM flags a run uses: each pod's own memory limit unless the command line says otherwise. */
class BenchOptionsTest {

    private static final Pattern LIMIT = Pattern.compile("limits: \\{[^}]*memory: (\\d+)Mi\\}");

    @Test
    void byDefaultEachServiceRunsWithItsOwnPodsMemoryLimit() {
        BenchOptions options = BenchOptions.parse("--users", "1000");

        assertThat(options.serviceJvmOptions()).containsOnlyKeys("change-detector", "mapper-service", "scim-writer",
                "notifier");
        assertThat(options.serviceJvmOptions().get("change-detector")).startsWith("-XX:MaxRAM=768m",
                "-XX:MaxRAMPercentage=75", "-XX:+UseSerialGC");
        assertThat(options.serviceJvmOptions().get("mapper-service")).contains("-XX:MaxRAM=512m");
    }

    @Test
    void jvmOptionsSetEveryServiceAndJvmOptionsForStillSetsOne() {
        BenchOptions every = BenchOptions.parse("--jvm-options", "-Xmx300m -XX:+UseSerialGC");
        assertThat(every.jvmOptions()).containsExactly("-Xmx300m", "-XX:+UseSerialGC");
        assertThat(every.serviceJvmOptions()).isEmpty();

        BenchOptions one = BenchOptions.parse("--jvm-options-for", "scim-writer", "-Xmx200m", "--jvm-options",
                "-Xmx300m");
        assertThat(one.serviceJvmOptions()).containsOnlyKeys("scim-writer");
        assertThat(one.serviceJvmOptions().get("scim-writer")).containsExactly("-Xmx200m");

        BenchOptions quick = BenchOptions.parse("--quick");
        assertThat(quick.serviceJvmOptions()).isEmpty();
        assertThat(quick.jvmOptions()).isEqualTo(LocalSystem.LAUNCHER_JVM_OPTIONS);
    }

    @Test
    void theMemoryLimitsAreTheBaseManifests() throws IOException {
        Path base = Path.of("..", "deploy", "k8s", "base");
        Map<String, Integer> manifests = new LinkedHashMap<>();
        for (String service : List.of("change-detector", "mapper-service", "scim-writer", "notifier")) {
            Matcher limit = LIMIT.matcher(Files.readString(base.resolve(service + ".yaml")));
            assertThat(limit.find()).as("%s.yaml has a memory limit in Mi", service).isTrue();
            manifests.put(service, Integer.parseInt(limit.group(1)));
        }

        assertThat(manifests).isEqualTo(LocalSystem.DEPLOYMENT_MEMORY_LIMITS_MIB);
    }

    @Test
    void theHeapFlagsAreTheBaseManifests() throws IOException {
        String kustomization = Files.readString(Path.of("..", "deploy", "k8s", "base", "kustomization.yaml"));
        Map<String, List<String>> manifests = new LinkedHashMap<>();
        Matcher config = Pattern.compile("- name: ([a-z-]+)-config\\n(?:(?!  - name:).*\\n)*").matcher(kustomization);
        while (config.find()) {
            Matcher flags = Pattern.compile("- JDK_JAVA_OPTIONS=(.*)").matcher(config.group());
            if (flags.find()) {
                manifests.put(config.group(1), List.of(flags.group(1).trim().split(" +")));
            }
        }

        Map<String, List<String>> pods = new LinkedHashMap<>();
        LocalSystem.DEPLOYMENT_MEMORY_LIMITS_MIB.keySet().forEach(service -> {
            if (!LocalSystem.podJvmOptions(service).isEmpty()) {
                pods.put(service, LocalSystem.podJvmOptions(service));
            }
        });
        assertThat(manifests).isEqualTo(pods);
        Map<String, List<String>> benchmark = BenchOptions.parse("--users", "1000").serviceJvmOptions();
        assertThat(benchmark.get("scim-writer")).containsExactly("-XX:MaxRAM=512m", "-XX:MaxRAMPercentage=75",
                "-XX:+UseSerialGC", "-Xmn32m", "-XX:MinHeapFreeRatio=20", "-XX:MaxHeapFreeRatio=40",
                "-XX:TrimNativeHeapInterval=2000", "-Djdk.nio.maxCachedBufferSize=262144", "-XX:TieredStopAtLevel=1");
        assertThat(benchmark.get("notifier")).containsExactly("-XX:MaxRAM=512m", "-XX:MaxRAMPercentage=75",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
        // the detector keeps C2 (its incremental cycles need it), alone: C1's profiled code beside it cost RSS
        assertThat(benchmark.get("change-detector")).containsExactly("-XX:MaxRAM=768m", "-XX:MaxRAMPercentage=75",
                "-XX:+UseSerialGC", "-Xmn32m", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30",
                "-XX:TrimNativeHeapInterval=2000", "-Djdk.nio.maxCachedBufferSize=262144", "-XX:-TieredCompilation");
    }

    @Test
    void theMallocSettingsAreTheImagesEnvironment() throws IOException {
        String dockerfile = Files.readString(Path.of("..", "deploy", "Dockerfile"));
        Map<String, String> image = new LinkedHashMap<>();
        Matcher setting = Pattern.compile("\\b(MALLOC_[A-Z_]+)=(\\S+)").matcher(dockerfile.replaceAll("(?m)^#.*$", ""));
        while (setting.find()) {
            image.put(setting.group(1), setting.group(2));
        }

        assertThat(image).isNotEmpty().isEqualTo(LocalSystem.DEPLOYMENT_MALLOC_ENVIRONMENT);
    }

    @Test
    void theResultPageNamesEachServicesFlags() {
        Map<String, Object> run = Map.of("jvmOptions", List.of("-XX:MaxRAM=768m"), "serviceJvmOptions",
                Map.of("scim-writer", List.of("-XX:MaxRAM=512m", "-XX:+UseSerialGC"), "notifier",
                        List.of("-XX:MaxRAM=512m")));

        String md = Report.markdown(Map.of("date", "2026-12-02T12:00:00Z", "cores", 2, "memoryMiB", 24105, "cpu",
                "AMD EPYC", "java", "OpenJDK 17", "command", "java -jar bench/target/bench.jar"), run, List.of(), null,
                null);

        assertThat(md).contains("services' JVM flags `-XX:MaxRAM=768m`, instead for notifier `-XX:MaxRAM=512m`; "
                + "scim-writer `-XX:MaxRAM=512m -XX:+UseSerialGC`");
    }
}
