package dev.provisioning.deploy;

import static dev.provisioning.deploy.KustomizeOverlaysTest.map;
import static dev.provisioning.deploy.KustomizeOverlaysTest.maps;
import static dev.provisioning.deploy.KustomizeOverlaysTest.strings;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * docker-compose.yml as Docker Compose would read it (YAML merge keys resolved): every part of the system present,
 * every image pinned, every long-running service health-checked, Prometheus and Grafana wired to the rule file and the
 * dashboard. No Docker engine runs here, so this is what can be checked without one.
 */
class DockerComposeTest {

    static final Set<String> SERVICES = Set.of("change-detector", "mapper-service", "scim-writer", "notifier");
    static final Set<String> ONE_SHOTS = Set.of("kafka-init", "demo-job");
    /** A digest, or a tag with a full version (1.2.3, v3.7.2, 17.0.16_8-jre-noble); never latest. */
    static final Pattern PINNED = Pattern.compile(".+@sha256:[0-9a-f]{64}|[^@]+:v?\\d+\\.\\d+\\.\\d+[^:@]*");

    static final Map<String, Object> COMPOSE = load(Repository.ROOT.resolve("docker-compose.yml"));
    static final Map<String, Object> ALL = map(COMPOSE, "services");

    @Test
    void everyPartOfTheSystemIsAService() {
        assertThat(ALL.keySet()).containsExactlyInAnyOrder("kafka", "kafka-init", "postgres", "mail", "druva",
                "change-detector", "mapper-service", "scim-writer", "notifier", "prometheus", "grafana", "demo-job");
    }

    @Test
    void everyImageIsPinnedToAVersionOrADigest() throws IOException {
        for (String name : ALL.keySet()) {
            Map<String, Object> service = service(name);
            String image = (String) service.get("image");
            assertThat(image).as(name).isNotNull();
            if (service.containsKey("build")) {
                // our own image: tagged with the project version, built from a pinned base image
                assertThat(image).as(name).isEqualTo("entra-druva-provisioning/" + name + ":0.1.0");
                Map<String, Object> build = map(service, "build");
                assertThat(map(build, "args").get("SERVICE")).as(name).isEqualTo(name);
                assertThat(Repository.ROOT.resolve(name).resolve("pom.xml")).as(name + " is a module").exists();
                Path dockerfile = Repository.ROOT.resolve((String) build.get("context"))
                        .resolve((String) build.get("dockerfile"));
                for (String from : Files.readAllLines(dockerfile).stream().filter(l -> l.startsWith("FROM "))
                        .toList()) {
                    assertThat(from.substring(5).trim()).as(dockerfile + " " + from).matches(PINNED);
                }
            } else {
                assertThat(image).as(name).matches(PINNED).doesNotContain(":latest");
            }
        }
    }

    @Test
    void everyLongRunningServiceHasAHealthCheckAndOneShotsWaitForHealthyPrerequisites() {
        for (String name : ALL.keySet()) {
            Map<String, Object> service = service(name);
            if (ONE_SHOTS.contains(name)) {
                assertThat(service.get("restart")).as(name).isEqualTo("no");
                assertThat(map(service, "depends_on")).as(name).isNotEmpty();
                continue;
            }
            assertThat(service.get("restart")).as(name + " is not a one-shot").isNotEqualTo("no");
            List<String> test = strings(service, "healthcheck", "test");
            assertThat(test).as(name + " health check").hasSizeGreaterThan(1);
            assertThat(test.get(0)).as(name).isIn("CMD", "CMD-SHELL");
        }
        // a condition service_healthy only makes sense on a service with a health check, and is what everyone uses
        for (String name : ALL.keySet()) {
            map(service(name), "depends_on").forEach((dependency, condition) -> {
                assertThat(ALL).as(name + " depends on " + dependency).containsKey(dependency);
                String expected = ONE_SHOTS.contains(dependency)
                        ? "service_completed_successfully"
                        : "service_healthy";
                assertThat(((Map<?, ?>) condition).get("condition")).as(name + " -> " + dependency)
                        .isEqualTo(expected);
            });
        }
    }

    @Test
    void theServicesRunReadOnlyAndAreCheckedOnTheirManagementInterface() {
        for (String name : SERVICES) {
            Map<String, Object> service = service(name);
            assertThat(service.get("read_only")).as(name).isEqualTo(true);
            assertThat(strings(service, "tmpfs")).as(name).contains("/tmp");
            assertThat(String.join(" ", strings(service, "healthcheck", "test"))).as(name)
                    .contains("/dev/tcp/127.0.0.1/9000", "/q/health/ready");
            Map<String, Object> env = map(service, "environment");
            assertThat(env).as(name).containsEntry("QUARKUS_MANAGEMENT_PORT", "9000")
                    .containsEntry("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092");
            assertThat(map(service, "depends_on")).as(name + " starts after the topics exist")
                    .containsKey("kafka-init");
        }
        assertThat(map(service("change-detector"), "environment")).containsEntry("DETECTOR_WRITER_URL",
                "http://scim-writer:8080");
        assertThat(map(service("notifier"), "environment")).containsEntry("QUARKUS_MAILER_HOST", "mail");
    }

    @Test
    void noSecretKeyHasADefault() {
        Object key = map(service("scim-writer"), "environment").get("PROVISIONING_SECRET_KEY");
        assertThat(String.valueOf(key)).startsWith("${PROVISIONING_SECRET_KEY:?");
        assertThat(map(service("change-detector"), "environment").get("PROVISIONING_SECRET_KEY")).isEqualTo(key);
    }

    @Test
    void theApisTrustTheConfiguredIssuerAndTheDetectorGetsItsWriterTokenByClientCredentials() {
        for (String name : List.of("change-detector", "scim-writer")) {
            Map<String, Object> env = map(service(name), "environment");
            assertThat(String.valueOf(env.get("QUARKUS_OIDC_AUTH_SERVER_URL"))).as(name)
                    .startsWith("${QUARKUS_OIDC_AUTH_SERVER_URL:?");
            assertThat(String.valueOf(env.get("QUARKUS_OIDC_TOKEN_AUDIENCE"))).as(name)
                    .startsWith("${QUARKUS_OIDC_TOKEN_AUDIENCE:?");
        }
        Map<String, Object> detector = map(service("change-detector"), "environment");
        assertThat(detector).containsEntry("QUARKUS_OIDC_CLIENT_WRITER_CLIENT_ENABLED", "true");
        assertThat(String.valueOf(detector.get("QUARKUS_OIDC_CLIENT_WRITER_CREDENTIALS_SECRET")))
                .startsWith("${DETECTOR_CLIENT_SECRET:?");
    }

    @Test
    void prometheusScrapesEveryServiceAndLoadsTheAlertRules() {
        Map<String, String> mounts = mounts("prometheus");
        assertThat(mounts).containsEntry("/etc/prometheus/alerts.yaml", "./deploy/prometheus/alerts.yaml")
                .containsEntry("/etc/prometheus/prometheus.yml", "./deploy/prometheus/prometheus.yml");
        Map<String, Object> config = load(Repository.DEPLOY.resolve("prometheus/prometheus.yml"));
        assertThat(strings(config, "rule_files")).contains("/etc/prometheus/alerts.yaml");
        List<String> scraped = new ArrayList<>();
        for (Map<String, Object> job : maps(config, "scrape_configs")) {
            assertThat(job.get("metrics_path")).isEqualTo("/q/metrics");
            for (Map<String, Object> target : maps(job, "static_configs")) {
                String service = (String) map(target, "labels").get("service");
                assertThat(strings(target, "targets")).as(service).containsExactly(service + ":9000");
                scraped.add(service);
            }
        }
        assertThat(scraped).containsExactlyInAnyOrderElementsOf(SERVICES);
    }

    @Test
    void grafanaProvisionsThePrometheusDataSourceAndTheDashboard() {
        Map<String, String> mounts = mounts("grafana");
        assertThat(mounts).containsEntry("/etc/grafana/provisioning", "./deploy/grafana/provisioning")
                .containsEntry("/var/lib/grafana/dashboards/provisioning-dashboard.json",
                        "./deploy/grafana/provisioning-dashboard.json");
        Map<String, Object> datasources = load(
                Repository.DEPLOY.resolve("grafana/provisioning/datasources/prometheus.yaml"));
        assertThat(maps(datasources, "datasources")).singleElement()
                .satisfies(d -> {
                    assertThat(d.get("type")).isEqualTo("prometheus");
                    assertThat(d.get("url")).isEqualTo("http://prometheus:9090");
                });
        Map<String, Object> dashboards = load(
                Repository.DEPLOY.resolve("grafana/provisioning/dashboards/provisioning.yaml"));
        assertThat(maps(dashboards, "providers")).singleElement()
                .satisfies(p -> assertThat(map(p, "options").get("path")).isEqualTo("/var/lib/grafana/dashboards"));
    }

    @Test
    void theDemoJobCreatesAJobOnTheLocalDruvaServer() throws IOException {
        Map<String, Object> demo = service("demo-job");
        assertThat(map(demo, "depends_on")).containsKeys("change-detector", "druva");
        // the Druva-compatible server speaks plain http, which the services accept on a loopback address only: it
        // shares the writer's network, where the writer reaches it on localhost
        assertThat(map(demo, "environment")).containsEntry("JOBS_API", "http://change-detector:8080")
                .containsEntry("DRUVA_TENANT_URL", "http://localhost:8090/insync/scim");
        assertThat(service("druva").get("network_mode")).isEqualTo("service:scim-writer");
        assertThat(strings(service("scim-writer"), "ports")).contains("8090:8090");
        assertThat(map(service("druva"), "environment")).containsEntry("DRUVA_SCIM_PORT", "8090");
        assertThat(map(service("change-detector"), "environment"))
                .containsEntry("DETECTOR_ALLOW_INSECURE_LOOPBACK", "true")
                .containsEntry("DETECTOR_DIRECTORY_ROOT", "/directories");
        assertThat(map(service("scim-writer"), "environment")).containsEntry("WRITER_ALLOW_INSECURE_LOOPBACK", "true");
        // the jobs API wants an administrator's token, which has no default
        assertThat(String.valueOf(map(demo, "environment").get("ADMIN_TOKEN"))).startsWith("${DEMO_ADMIN_TOKEN:?");
        String script = Files.readString(Repository.DEPLOY.resolve("demo/create-demo-job.sh"));
        assertThat(script).contains("POST \"$API/jobs\" -H \"$AUTH\"", "Authorization: Bearer ${ADMIN_TOKEN:?",
                "DIRECTORY_FILE", "/directories/demo-directory.json");
        assertThat(mounts("change-detector")).containsEntry("/directories", "./demo-launcher/src/main/resources");
        assertThat(Repository.ROOT.resolve("demo-launcher/src/main/resources/demo-directory.json")).exists();
        assertThat(String.valueOf(map(service("druva"), "environment").get("DRUVA_SCIM_TOKEN")))
                .isEqualTo(String.valueOf(map(demo, "environment").get("DRUVA_TOKEN")));
    }

    @Test
    void everyMountedFileOfTheRepositoryExists() {
        for (String name : ALL.keySet()) {
            mounts(name).forEach((target, source) -> {
                if (source.startsWith("./") && !source.contains("/target")) {
                    assertThat(Repository.ROOT.resolve(source.substring(2))).as(name + " mounts " + source).exists();
                }
            });
        }
    }

    @Test
    void theDockerfileRunsThePackagedAppAsANonRootUserWithAHealthCheck() throws IOException {
        List<String> lines = Files.readAllLines(Repository.DEPLOY.resolve("Dockerfile"));
        String text = String.join("\n", lines);
        assertThat(lines).filteredOn(l -> l.startsWith("FROM ")).singleElement().asString().contains("-jre");
        assertThat(lines).filteredOn(l -> l.startsWith("USER ")).singleElement().satisfies(u -> {
            String user = u.substring(5).trim().split(":")[0];
            assertThat(user).matches("\\d+").isNotEqualTo("0");
        });
        assertThat(text).contains("target/quarkus-app/lib/", "quarkus-run.jar", "EXPOSE 8080 9000", "HEALTHCHECK",
                "/q/health/ready");
        assertThat(Repository.DEPLOY.resolve("Dockerfile.dockerignore")).exists();
    }

    // ---------------------------------------------------------------- helpers

    private static Map<String, Object> service(String name) {
        return map(ALL, name);
    }

    /** Container path to host path of a service's bind mounts. */
    private static Map<String, String> mounts(String name) {
        Map<String, String> mounts = new java.util.LinkedHashMap<>();
        for (String volume : strings(service(name), "volumes")) {
            String[] parts = volume.split(":");
            mounts.put(parts[1], parts[0]);
        }
        return mounts;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
