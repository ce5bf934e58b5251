package dev.provisioning.writer.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;

import dev.provisioning.writer.throughput.ReplicaHeartbeat;
import dev.provisioning.writer.throughput.TenantGates;

/**
 * The scim-writer's layering, checked by the build (ArchUnit, as Debezium keeps its own).
 *
 * <ul>
 * <li>Plain packages: {@code scim} (the request shapes and dialects), {@code retry} (classification and backoff),
 * {@code escrow} (Entra's schedule, escrow records, credential holds), {@code lanes} (per-tenant lanes, admission, job
 * waits): no Kafka, Vert.x, Hibernate, Quarkus, Micrometer or JAX-RS types, and no use of the adapter packages
 * ({@code messaging}, {@code persistence}, {@code api}, {@code config}, {@code scim.client}); so they are tested in
 * plain JUnit.</li>
 * <li>{@code throughput}: its arithmetic ({@code AdaptiveRate}, {@code InFlight}, {@code ReplicaShare},
 * {@code TenantHealth}) is plain; {@code TenantGates} (Vert.x timers) and {@code ReplicaHeartbeat} (PostgreSQL
 * heartbeat) are its adapters.</li>
 * <li>{@code provisioning} (what to send for an operation): no Kafka and no database types (it reads and writes the
 * id map through {@code persistence}); it runs on Vert.x contexts (the processor and bulk match keep their
 * continuations there), so Vert.x is allowed.</li>
 * <li>Kafka and SmallRye Reactive Messaging types only in {@code messaging}; SQL (the reactive PostgreSQL client) only
 * in {@code persistence} and the replica heartbeat; no ORM anywhere outside {@code persistence}.</li>
 * </ul>
 */
class ArchitectureTest {

    static final String WRITER = "dev.provisioning.writer";
    static final String[] FRAMEWORKS = {"org.apache.kafka..", "io.smallrye.reactive.messaging..", "io.vertx..",
            "org.hibernate..", "io.quarkus..", "jakarta.persistence..", "io.micrometer..", "jakarta.ws.rs.."};
    /** The database: the reactive SQL client, and an ORM should one come back. */
    static final String[] DATABASE = {"io.vertx.sqlclient..", "io.vertx.mutiny.sqlclient..", "io.vertx.pgclient..",
            "io.vertx.mutiny.pgclient..", "org.hibernate..", "io.quarkus.hibernate..", "jakarta.persistence.."};
    static final String[] ADAPTERS = {WRITER + ".messaging..", WRITER + ".persistence..", WRITER + ".api..",
            WRITER + ".config..", WRITER + ".scim.client.."};

    private static final JavaClasses WRITER_CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(WRITER);

    /** The rule for plain packages: no framework type, no adapter. */
    static ArchRule plain(String... packages) {
        return noClasses().that().resideInAnyPackage(packages)
                .should().dependOnClassesThat().resideInAnyPackage(FRAMEWORKS)
                .orShould().dependOnClassesThat().resideInAnyPackage(ADAPTERS)
                .because("the domain is plain Java, tested in milliseconds (STYLE.md, Keep the domain free of the "
                        + "framework)");
    }

    @Test
    void theDomainPackagesArePlainJava() {
        plain(WRITER + ".scim", WRITER + ".retry..", WRITER + ".escrow..", WRITER + ".lanes..").check(WRITER_CLASSES);
    }

    @Test
    void theThroughputArithmeticIsPlainJava() {
        noClasses().that().resideInAPackage(WRITER + ".throughput..")
                .and(DescribedPredicate.not(JavaClass.Predicates.belongToAnyOf(TenantGates.class,
                        ReplicaHeartbeat.class)))
                .should().dependOnClassesThat().resideInAnyPackage(FRAMEWORKS)
                .check(WRITER_CLASSES);
    }

    @Test
    void provisioningUsesNeitherKafkaNorTheDatabaseClient() {
        noClasses().that().resideInAPackage(WRITER + ".provisioning..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka..",
                        "io.smallrye.reactive.messaging..")
                .orShould().dependOnClassesThat().resideInAnyPackage(DATABASE)
                .check(WRITER_CLASSES);
    }

    @Test
    void kafkaStaysInMessagingAndSqlInPersistence() {
        noClasses().that().resideOutsideOfPackage(WRITER + ".messaging..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka..",
                        "io.smallrye.reactive.messaging..")
                .check(WRITER_CLASSES);
        noClasses().that().resideOutsideOfPackage(WRITER + ".persistence..")
                .and(DescribedPredicate.not(JavaClass.Predicates.belongToAnyOf(ReplicaHeartbeat.class)))
                .should().dependOnClassesThat().resideInAnyPackage(DATABASE)
                .check(WRITER_CLASSES);
    }

    @Test
    void theRuleCatchesAWrongImport() {
        // the test of the test: a class in a "plain" package that uses Vert.x (test sources, fixture package)
        JavaClasses fixture = new ClassFileImporter().importPackages(WRITER + ".architecture.fixture");

        assertThat(plain(WRITER + ".architecture.fixture..").evaluate(fixture).hasViolation()).isTrue();
        assertThat(plain(WRITER + ".architecture.fixture..").evaluate(fixture).getFailureReport().getDetails())
                .anySatisfy(line -> assertThat(line).contains("io.vertx.core.Vertx"));
    }
}
