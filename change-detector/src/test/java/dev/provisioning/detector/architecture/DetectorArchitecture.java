package dev.provisioning.detector.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.lang.ArchRule;

/**
 * The change-detector's package rules, for a root package (the detector's own, or a fixture's in the test of the
 * rules). The packages form a one-way graph:
 *
 * <pre>
 * api ─▶ cycle ─▶ safety ─▶ job
 *  │       │        │        ▲
 *  └───────┴────────┴─▶ persistence, messaging, source, writer, config ─┘
 * </pre>
 *
 * {@code api} (REST) sits on top; {@code cycle} (running cycles, their results coming in) and {@code safety}
 * (held deletions, housekeeping) use the domain and the adapters; {@code job} (the provisioning job aggregate and its
 * cycle) depends on nothing of the detector and on no framework; the adapters ({@code persistence},
 * {@code messaging}, {@code source}, {@code writer}) and {@code config} may use the domain's types, never the layers
 * above. The relay ({@code messaging}) reads the outbox ({@code persistence}); nothing else joins adapters.
 * {@code console} (the operator console's read-only calls) sits above {@code api}, whose roles and problems it uses.
 */
public final class DetectorArchitecture {

    /** Packages of frameworks the domain must not know: Kafka, Vert.x, Mutiny, Hibernate, Quarkus, Jakarta EE. */
    public static final String[] FRAMEWORKS = {"org.apache.kafka..", "io.smallrye.reactive.messaging..",
            "io.vertx..", "io.smallrye.mutiny..", "org.hibernate..", "io.quarkus..", "jakarta..",
            "org.eclipse.microprofile.."};

    private static final String[] LAYERS = {"console", "api", "cycle", "safety", "job", "persistence", "messaging",
            "source",
            "writer", "config"};

    private DetectorArchitecture() {
    }

    /** Each package depends only on the packages below it. */
    public static ArchRule oneWayGraph(String root) {
        var layers = layeredArchitecture().consideringOnlyDependenciesInLayers().withOptionalLayers(true);
        for (String layer : LAYERS) {
            layers = layers.layer(layer).definedBy(root + "." + layer + "..");
        }
        return layers
                // the operator console's read-only calls: beside the API, with its roles and problem types
                .whereLayer("console").mayOnlyAccessLayers("api", "cycle", "job", "persistence", "source", "config")
                .whereLayer("api").mayOnlyAccessLayers("cycle", "safety", "job", "persistence", "source", "writer",
                        "config")
                .whereLayer("cycle").mayOnlyAccessLayers("safety", "job", "persistence", "messaging", "source",
                        "writer", "config")
                .whereLayer("safety").mayOnlyAccessLayers("job", "persistence", "messaging", "config")
                .whereLayer("messaging").mayOnlyAccessLayers("job", "persistence", "config")
                .whereLayer("persistence").mayOnlyAccessLayers("job", "config")
                .whereLayer("source").mayOnlyAccessLayers("config")
                .whereLayer("writer").mayOnlyAccessLayers("config")
                .whereLayer("config").mayOnlyAccessLayers("job")
                .whereLayer("job").mayNotAccessAnyLayer()
                .because("the detector's packages form a one-way graph: api -> (cycle, safety) -> job, with the "
                        + "adapters below (README, Layout)");
    }

    /** No two packages depend on each other, however indirectly. */
    public static ArchRule noLoops(String root) {
        return slices().matching(root + ".(*)..").should().beFreeOfCycles();
    }

    /** A new package takes its place in the graph ({@link #oneWayGraph}) before it is used. */
    public static ArchRule everyClassInALayer(String root) {
        String[] packages = new String[LAYERS.length];
        for (int i = 0; i < LAYERS.length; i++) {
            packages[i] = root + "." + LAYERS[i] + "..";
        }
        return classes().that().resideInAPackage(root + "..").should().resideInAnyPackage(packages)
                .because("every package of the detector has a place in its one-way graph");
    }

    /** The domain package is plain Java. */
    public static ArchRule domainFreeOfFrameworks(String root) {
        return noClasses().that().resideInAPackage(root + ".job..").should().dependOnClassesThat()
                .resideInAnyPackage(FRAMEWORKS)
                .because("the provisioning job and its rules are plain Java, tested without a broker or a database");
    }
}
