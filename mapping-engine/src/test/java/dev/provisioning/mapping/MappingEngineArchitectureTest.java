package dev.provisioning.mapping;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/**
 * The mapping engine is plain Java, entirely: no Kafka, Vert.x, Mutiny, Hibernate or Quarkus type anywhere in it (its
 * module depends on nothing but the event contracts; this keeps it so when someone adds a dependency).
 */
class MappingEngineArchitectureTest {

    static final JavaClasses ENGINE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.provisioning.mapping");

    @Test
    void theEngineKnowsNoFramework() {
        assertThat(ENGINE.contain(MappingEngine.class)).isTrue();
        noClasses().should().dependOnClassesThat()
                .resideInAnyPackage("org.apache.kafka..", "io.smallrye.reactive.messaging..", "io.vertx..",
                        "io.smallrye.mutiny..", "org.hibernate..", "io.quarkus..")
                .because("the mapper runs the engine and the change-detector validates jobs with it, in milliseconds")
                .check(ENGINE);
    }
}
