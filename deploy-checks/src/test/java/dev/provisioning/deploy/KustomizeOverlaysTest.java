package dev.provisioning.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Renders deploy/k8s's overlays with a real kustomize (kubectl's) and checks the objects an operator would apply.
 * CI installs kubectl when the machine has none (.ci/run); without one, the test fails in CI and is skipped on a
 * developer's machine with the reason.
 */
class KustomizeOverlaysTest {

    static final Path K8S = Repository.DEPLOY.resolve("k8s");
    static final List<String> SERVICES = List.of("change-detector", "mapper-service", "scim-writer", "notifier");
    static final List<String> CONSUMERS = List.of("mapper-service", "scim-writer", "notifier");
    static final Pattern SECRET_NAME = Pattern.compile("(?i).*(PASSWORD|SECRET|TOKEN|JAAS|CREDENTIAL|PRIVATE|_KEY$).*");
    /** Names that look like secrets and are not: which tokens the APIs accept (the issuer's audience and name). */
    static final Set<String> NOT_SECRETS = Set.of("QUARKUS_OIDC_TOKEN_AUDIENCE", "QUARKUS_OIDC_TOKEN_ISSUER");

    static Kustomize kustomize;

    @BeforeAll
    static void findKustomize() {
        var found = Kustomize.find();
        if (found.isEmpty()) {
            String why = "no kubectl or kustomize on the PATH (apt-get install kubernetes-client, or set KUSTOMIZE)";
            if (System.getenv("CI") != null) {
                fail(why + ": .ci/run installs it");
            }
            Assumptions.abort(why);
        }
        kustomize = found.get();
        System.out.println("rendering with " + kustomize.command() + ": " + kustomize.version());
    }

    private static final Map<String, List<Map<String, Object>>> RENDERED = new java.util.concurrent.ConcurrentHashMap<>();

    static List<Map<String, Object>> render(String overlay) {
        return RENDERED.computeIfAbsent(overlay, o -> kustomize.render(K8S.resolve(o)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlays/local", "overlays/production"})
    void deploymentsHaveProbesResourcesAndARestrictedSecurityContext(String overlay) {
        List<Map<String, Object>> objects = render(overlay);
        List<Map<String, Object>> deployments = ofKind(objects, "Deployment");
        assertThat(deployments).extracting(KustomizeOverlaysTest::name).containsExactlyInAnyOrderElementsOf(SERVICES);

        for (Map<String, Object> deployment : deployments) {
            String name = name(deployment);
            Map<String, Object> pod = map(deployment, "spec", "template", "spec");
            Map<String, Object> podSecurity = map(pod, "securityContext");
            assertThat(podSecurity.get("runAsNonRoot")).as(name).isEqualTo(true);
            assertThat((Integer) podSecurity.get("runAsUser")).as(name).isPositive();
            assertThat(map(podSecurity, "seccompProfile").get("type")).as(name).isEqualTo("RuntimeDefault");
            assertThat(pod.get("automountServiceAccountToken")).as(name).isEqualTo(false);

            List<Map<String, Object>> containers = maps(pod, "containers");
            assertThat(containers).as(name).hasSize(1);
            Map<String, Object> c = containers.get(0);
            Map<String, Object> security = map(c, "securityContext");
            assertThat(security.get("readOnlyRootFilesystem")).as(name).isEqualTo(true);
            assertThat(security.get("allowPrivilegeEscalation")).as(name).isEqualTo(false);
            assertThat(security.get("runAsNonRoot")).as(name).isEqualTo(true);
            assertThat(strings(map(security, "capabilities"), "drop")).as(name).containsExactly("ALL");

            // the only writable path is an emptyDir on /tmp
            assertThat(maps(c, "volumeMounts")).as(name).anySatisfy(m -> assertThat(m.get("mountPath"))
                    .isEqualTo("/tmp"));
            String tmpVolume = (String) maps(c, "volumeMounts").stream()
                    .filter(m -> "/tmp".equals(m.get("mountPath"))).findFirst().orElseThrow().get("name");
            assertThat(maps(pod, "volumes")).as(name).anySatisfy(v -> {
                assertThat(v.get("name")).isEqualTo(tmpVolume);
                assertThat(v).containsKey("emptyDir");
            });

            // API on 8080, management interface on 9000; probes on the management interface
            Map<String, Integer> ports = new java.util.HashMap<>();
            maps(c, "ports").forEach(p -> ports.put((String) p.get("name"), (Integer) p.get("containerPort")));
            assertThat(ports).as(name).containsEntry("http", 8080).containsEntry("management", 9000);
            assertProbe(name, c, "livenessProbe", "/q/health/live", ports);
            assertProbe(name, c, "readinessProbe", "/q/health/ready", ports);
            assertProbe(name, c, "startupProbe", "/q/health/started", ports);

            Map<String, Object> resources = map(c, "resources");
            assertThat(map(resources, "requests")).as(name).containsKeys("cpu", "memory");
            assertThat(map(resources, "limits")).as(name).containsKey("memory");

            String image = (String) c.get("image");
            assertThat(image).as(name).matches(".+:[0-9][^:]*").doesNotEndWith(":latest");

            if (CONSUMERS.contains(name)) {
                assertThat(map(deployment, "spec")).as(name + " replicas belong to the autoscaler")
                        .doesNotContainKey("replicas");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlays/local", "overlays/production"})
    void noSecretValueIsInTheManifestsOnlyReferences(String overlay) {
        List<Map<String, Object>> objects = render(overlay);
        assertThat(ofKind(objects, "Secret")).as("Secrets are created by the operator, not shipped").isEmpty();

        for (Map<String, Object> deployment : ofKind(objects, "Deployment")) {
            Map<String, Object> c = maps(map(deployment, "spec", "template", "spec"), "containers").get(0);
            for (Map<String, Object> env : maps(c, "env")) {
                if (SECRET_NAME.matcher((String) env.get("name")).matches() && !NOT_SECRETS.contains(env.get("name"))) {
                    assertThat(env).as(name(deployment) + " " + env.get("name")).doesNotContainKey("value");
                    assertThat(map(env, "valueFrom")).containsKey("secretKeyRef");
                }
            }
        }
        for (Map<String, Object> configMap : ofKind(objects, "ConfigMap")) {
            Map<String, Object> data = map(configMap, "data");
            data.forEach((key, value) -> {
                if (!NOT_SECRETS.contains(key)) {
                    assertThat(key).as(name(configMap)).doesNotMatch(SECRET_NAME);
                }
                assertThat(String.valueOf(value)).as(name(configMap) + " " + key)
                        .doesNotContainIgnoringCase("password=").doesNotContainIgnoringCase("secret=");
            });
        }
        // the job secrets' key reaches the two services that decrypt them, from a Secret
        for (String service : List.of("change-detector", "scim-writer")) {
            Map<String, Object> c = maps(map(byName(objects, "Deployment", service), "spec", "template", "spec"),
                    "containers").get(0);
            assertThat(maps(c, "env")).as(service).anySatisfy(env -> {
                assertThat(env.get("name")).isEqualTo("PROVISIONING_SECRET_KEY");
                assertThat(map(env, "valueFrom", "secretKeyRef").get("name")).isEqualTo("provisioning-secret-key");
            });
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlays/local", "overlays/production"})
    void networkPoliciesOpenOnlyTheDetectorApiAndMetricsToMonitoring(String overlay) {
        List<Map<String, Object>> objects = render(overlay);
        List<Map<String, Object>> policies = ofKind(objects, "NetworkPolicy");
        assertThat(policies).anySatisfy(p -> {
            assertThat(map(p, "spec", "podSelector")).isEmpty();
            assertThat(strings(p, "spec", "policyTypes")).contains("Ingress");
            assertThat(map(p, "spec")).doesNotContainKey("ingress");
        });

        for (String service : SERVICES) {
            Map<String, Object> labels = map(byName(objects, "Deployment", service), "spec", "template", "metadata",
                    "labels");
            List<Map<String, Object>> own = policies.stream().filter(p -> {
                Map<String, Object> match = map(p, "spec", "podSelector", "matchLabels");
                return !match.isEmpty() && labels.entrySet().containsAll(match.entrySet());
            }).toList();
            assertThat(own).as("a NetworkPolicy for " + service).hasSize(1);
            List<Map<String, Object>> rules = maps(own.get(0), "spec", "ingress");
            for (Map<String, Object> rule : rules) {
                List<Object> ports = maps(rule, "ports").stream().map(p -> p.get("port")).toList();
                List<Map<String, Object>> from = maps(rule, "from");
                if (ports.contains(9000)) {
                    assertThat(from).as(service + " metrics").singleElement().satisfies(peer -> assertThat(
                            map(peer, "namespaceSelector", "matchLabels")).containsEntry(
                                    "kubernetes.io/metadata.name", "monitoring"));
                } else if (ports.contains(8080)) {
                    if (service.equals("change-detector")) {
                        assertThat(from).as("the jobs API is open to callers outside the namespace").isEmpty();
                    } else if (service.equals("scim-writer")) {
                        assertThat(from).as("the writer API").singleElement().satisfies(peer -> {
                            assertThat(peer).doesNotContainKey("namespaceSelector");
                            assertThat(map(peer, "podSelector", "matchLabels"))
                                    .containsEntry("app.kubernetes.io/name", "change-detector");
                        });
                    } else {
                        fail(service + " opens its API port: " + rule);
                    }
                } else {
                    fail(service + " has an ingress rule for other ports: " + rule);
                }
                assertThat(ports).as(service).isNotEmpty();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlays/local", "overlays/production"})
    void eachConsumerScalesOnItsOwnConsumerGroupsLagWithCpuAsSecondTrigger(String overlay) throws IOException {
        List<Map<String, Object>> objects = render(overlay);
        List<Map<String, Object>> scaled = ofKind(objects, "ScaledObject");
        assertThat(scaled).extracting(o -> map(o, "spec", "scaleTargetRef").get("name"))
                .containsExactlyInAnyOrderElementsOf(CONSUMERS);
        assertThat(ofKind(objects, "HorizontalPodAutoscaler")).as("KEDA owns the HPA; a second one would fight it")
                .isEmpty();

        for (Map<String, Object> so : scaled) {
            String service = (String) map(so, "spec", "scaleTargetRef").get("name");
            Properties properties = applicationProperties(service);
            List<Map<String, Object>> triggers = maps(so, "spec", "triggers");
            List<Map<String, Object>> kafka = triggers.stream().filter(t -> "kafka".equals(t.get("type"))).toList();
            assertThat(kafka).as(service).isNotEmpty();
            for (Map<String, Object> trigger : kafka) {
                Map<String, Object> metadata = map(trigger, "metadata");
                String topic = (String) metadata.get("topic");
                String group = (String) metadata.get("consumerGroup");
                assertThat(incomingChannel(properties, topic, group))
                        .as(service + " consumes " + topic + " in group " + group).isTrue();
                assertThat(metadata.get("allowIdleConsumers")).as(service).isEqualTo("false");
                assertThat(Integer.parseInt((String) metadata.get("lagThreshold"))).as(service).isPositive();
                String bootstrap = (String) metadata.get("bootstrapServers");
                String configured = configMapValue(objects, "provisioning-common", "KAFKA_BOOTSTRAP_SERVERS");
                assertThat(bootstrap).as(service + ": KEDA reads the brokers the services use").isEqualTo(configured);
            }
            assertThat(triggers).as(service).anySatisfy(t -> {
                assertThat(t.get("type")).isEqualTo("cpu");
                assertThat(t.get("metricType")).isEqualTo("Utilization");
            });
            assertThat(map(so, "spec", "fallback")).as(service).containsKeys("failureThreshold", "replicas");
            assertThat((Integer) map(so, "spec").get("maxReplicaCount"))
                    .isGreaterThanOrEqualTo((Integer) map(so, "spec").get("minReplicaCount"));
        }
        // every consuming channel of a consumer service is covered by a trigger (except the per-replica jobs groups)
        for (String service : CONSUMERS) {
            Properties properties = applicationProperties(service);
            List<Map<String, Object>> kafka = maps(byName(objects, "ScaledObject", service), "spec", "triggers")
                    .stream().filter(t -> "kafka".equals(t.get("type"))).toList();
            for (String key : properties.stringPropertyNames()) {
                if (key.startsWith("mp.messaging.incoming.") && key.endsWith(".group.id")
                        && !properties.getProperty(key).contains("${")) {
                    String channel = key.substring("mp.messaging.incoming.".length(),
                            key.length() - ".group.id".length());
                    String topic = properties.getProperty("mp.messaging.incoming." + channel + ".topic");
                    assertThat(kafka).as(service + " scales on " + topic).anySatisfy(t -> assertThat(
                            map(t, "metadata").get("topic")).isEqualTo(topic));
                }
            }
        }
    }

    @Test
    void withoutKedaPlainCpuAutoscalersCoverTheSameConsumers() {
        List<Map<String, Object>> hpas = ofKind(render("scaling/cpu-hpa"), "HorizontalPodAutoscaler");
        assertThat(hpas).extracting(h -> map(h, "spec", "scaleTargetRef").get("name"))
                .containsExactlyInAnyOrderElementsOf(CONSUMERS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlays/local", "overlays/production"})
    void servicesBudgetsAndTheServiceMonitorCoverEveryService(String overlay) {
        List<Map<String, Object>> objects = render(overlay);
        Map<String, Object> monitor = ofKind(objects, "ServiceMonitor").stream().findFirst()
                .orElseThrow(() -> new AssertionError("no ServiceMonitor in " + overlay));
        Map<String, Object> selector = map(monitor, "spec", "selector", "matchLabels");
        assertThat(maps(monitor, "spec", "endpoints")).singleElement().satisfies(e -> {
            assertThat(e.get("port")).isEqualTo("management");
            assertThat(e.get("path")).isEqualTo("/q/metrics");
        });
        for (String service : SERVICES) {
            Map<String, Object> svc = byName(objects, "Service", service);
            assertThat(map(svc, "metadata", "labels").entrySet()).as(service + " selected by the ServiceMonitor")
                    .containsAll(selector.entrySet());
            assertThat(maps(svc, "spec", "ports")).as(service).anySatisfy(p -> {
                assertThat(p.get("name")).isEqualTo("management");
                assertThat(p.get("port")).isEqualTo(9000);
            });
            Map<String, Object> pdb = byName(objects, "PodDisruptionBudget", service);
            assertThat(map(pdb, "spec", "selector", "matchLabels")).containsEntry("app.kubernetes.io/name", service);
        }
        assertThat(objects).allSatisfy(o -> {
            if (!Set.of("Namespace", "ClusterRole", "ClusterRoleBinding").contains(o.get("kind"))) {
                assertThat(map(o, "metadata").get("namespace")).as(o.get("kind") + " " + name(o))
                        .isEqualTo("provisioning");
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlays/local", "overlays/production"})
    void everyServiceServesItsManagementInterfaceOnTheProbedPort(String overlay) {
        // the services' own defaults differ (9081 to 9084, so that they run side by side on one host): the manifests
        // must set 9000, the port the probes, the Services, the ServiceMonitor and the NetworkPolicies use
        List<Map<String, Object>> objects = render(overlay);
        for (String service : SERVICES) {
            Map<String, String> env = environment(objects, service);
            assertThat(env).as(service).containsEntry("QUARKUS_MANAGEMENT_PORT", "9000")
                    .containsEntry("QUARKUS_HTTP_PORT", "8080");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlays/local", "overlays/production"})
    void theApisTrustOneIssuerAndTheDetectorGetsItsWriterTokenByClientCredentials(String overlay) {
        List<Map<String, Object>> objects = render(overlay);
        for (String service : List.of("change-detector", "scim-writer")) {
            Map<String, String> env = environment(objects, service);
            assertThat(env.get("QUARKUS_OIDC_AUTH_SERVER_URL")).as(service + " issuer").startsWith("https://");
            assertThat(env).as(service).containsEntry("QUARKUS_OIDC_TOKEN_AUDIENCE", "api://provisioning")
                    .containsEntry("QUARKUS_OIDC_ROLES_ROLE_CLAIM_PATH", "roles");
        }
        assertThat(environment(objects, "scim-writer").get("QUARKUS_OIDC_AUTH_SERVER_URL"))
                .isEqualTo(environment(objects, "change-detector").get("QUARKUS_OIDC_AUTH_SERVER_URL"));
        Map<String, String> detector = environment(objects, "change-detector");
        assertThat(detector).containsEntry("QUARKUS_OIDC_CLIENT_WRITER_CLIENT_ENABLED", "true")
                .containsKeys("QUARKUS_OIDC_CLIENT_WRITER_CLIENT_ID", "QUARKUS_OIDC_CLIENT_WRITER_SCOPES")
                .containsEntry("QUARKUS_OIDC_CLIENT_WRITER_CREDENTIALS_SECRET",
                        "secret:change-detector-oidc-client/client-secret")
                .containsEntry("QUARKUS_OIDC_CLIENT_WRITER_AUTH_SERVER_URL",
                        detector.get("QUARKUS_OIDC_AUTH_SERVER_URL"))
                .doesNotContainKey("DETECTOR_WRITER_AUTH_TOKEN");
        // nobody else takes tokens: the mapper and the notifier have no API
        for (String service : List.of("mapper-service", "notifier")) {
            assertThat(environment(objects, service)).as(service).doesNotContainKey("QUARKUS_OIDC_AUTH_SERVER_URL");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlays/local", "overlays/production"})
    void eachServiceConnectsToKafkaAsItsOwnUser(String overlay) {
        // deploy/kafka/ACLS.md: one user per service, holding only its ACLs; the credentials come from its own Secret
        List<Map<String, Object>> objects = render(overlay);
        for (String service : SERVICES) {
            assertThat(environment(objects, service)).as(service).containsEntry("KAFKA_SASL_JAAS_CONFIG",
                    "secret:" + service + "-kafka/sasl.jaas.config");
        }
        if (overlay.endsWith("production")) {
            for (String service : SERVICES) {
                assertThat(environment(objects, service)).as(service)
                        .containsEntry("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
                        .containsEntry("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlays/local", "overlays/production"})
    void tenantAndGraphUrlsMustBeHttpsAndDirectoryFilesAreConfined(String overlay) {
        Map<String, String> detector = environment(render(overlay), "change-detector");
        assertThat(detector.getOrDefault("DETECTOR_ALLOW_INSECURE_LOOPBACK", "false")).isEqualTo("false");
        assertThat(environment(render(overlay), "scim-writer").getOrDefault("WRITER_ALLOW_INSECURE_LOOPBACK", "false"))
                .isEqualTo("false");
        String root = detector.get("DETECTOR_DIRECTORY_ROOT");
        if (root != null) {
            assertThat(root).as("a folder of its own, never the filesystem").startsWith("/").isNotEqualTo("/");
        }
    }

    @Test
    void theOldSingleManifestIsGone() {
        assertThat(Repository.DEPLOY.resolve("kubernetes")).doesNotExist();
    }

    // ---------------------------------------------------------------- helpers

    private static void assertProbe(String name, Map<String, Object> container, String probe, String path,
            Map<String, Integer> ports) {
        Map<String, Object> get = map(container, probe, "httpGet");
        assertThat(get.get("path")).as(name + " " + probe).isEqualTo(path);
        Object port = get.get("port");
        assertThat(port instanceof String s ? ports.get(s) : port).as(name + " " + probe + " port").isEqualTo(9000);
    }

    private static boolean incomingChannel(Properties properties, String topic, String group) {
        return properties.stringPropertyNames().stream()
                .filter(k -> k.startsWith("mp.messaging.incoming.") && k.endsWith(".topic"))
                .filter(k -> topic.equals(properties.getProperty(k)))
                .anyMatch(k -> group.equals(properties.getProperty(k.replaceFirst("\\.topic$", ".group.id"))));
    }

    private static Properties applicationProperties(String service) throws IOException {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(
                Repository.ROOT.resolve(service).resolve("src/main/resources/application.properties"))) {
            properties.load(in);
        }
        return properties;
    }

    private static String configMapValue(List<Map<String, Object>> objects, String prefix, String key) {
        return ofKind(objects, "ConfigMap").stream().filter(c -> name(c).startsWith(prefix + "-")
                || name(c).equals(prefix)).map(c -> (String) map(c, "data").get(key)).filter(Objects::nonNull)
                .findFirst().orElseThrow(() -> new AssertionError("no ConfigMap " + prefix + " with " + key));
    }

    /**
     * A service's container environment as the pod gets it: the ConfigMaps of {@code envFrom} (in order), then
     * {@code env}; a value from a Secret reads {@code secret:<name>/<key>}.
     */
    static Map<String, String> environment(List<Map<String, Object>> objects, String service) {
        Map<String, Object> c = maps(map(byName(objects, "Deployment", service), "spec", "template", "spec"),
                "containers").get(0);
        Map<String, String> env = new java.util.LinkedHashMap<>();
        for (Map<String, Object> from : maps(c, "envFrom")) {
            String configMap = (String) map(from, "configMapRef").get("name");
            if (configMap != null) {
                map(byName(objects, "ConfigMap", configMap), "data").forEach((k, v) -> env.put(k, String.valueOf(v)));
            }
        }
        for (Map<String, Object> e : maps(c, "env")) {
            Map<String, Object> secret = map(e, "valueFrom", "secretKeyRef");
            env.put((String) e.get("name"), secret.isEmpty()
                    ? String.valueOf(e.get("value"))
                    : "secret:" + secret.get("name") + "/" + secret.get("key"));
        }
        return env;
    }

    static List<Map<String, Object>> ofKind(List<Map<String, Object>> objects, String kind) {
        return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
    }

    static Map<String, Object> byName(List<Map<String, Object>> objects, String kind, String name) {
        return ofKind(objects, kind).stream().filter(o -> name.equals(name(o))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    static String name(Map<String, Object> object) {
        return (String) map(object, "metadata").get("name");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> from, String... path) {
        Object current = from;
        for (String key : path) {
            current = current instanceof Map<?, ?> m ? m.get(key) : null;
        }
        return current == null ? Map.of() : (Map<String, Object>) current;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Map<String, Object> from, String... path) {
        Map<String, Object> parent = map(from, java.util.Arrays.copyOf(path, path.length - 1));
        Object value = parent.get(path[path.length - 1]);
        return value == null ? List.of() : (List<Object>) value;
    }

    /** A list of objects (containers, rules, ...). */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> maps(Map<String, Object> from, String... path) {
        return (List<Map<String, Object>>) (List<?>) list(from, path);
    }

    /** A list of strings (a command, capabilities, ...). */
    static List<String> strings(Map<String, Object> from, String... path) {
        return list(from, path).stream().map(String::valueOf).toList();
    }
}
