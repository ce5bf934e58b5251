package dev.provisioning.mapper.engine;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/** The mapper's domain package ({@code engine}) knows no Kafka, Vert.x or Hibernate type: messaging/ does the I/O. */
class EngineArchitectureTest {

    static final JavaClasses MAPPER = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.provisioning.mapper");

    @Test
    void theEngineIsFreeOfKafkaVertxAndHibernate() {
        assertThat(MAPPER.contain(JobCatalog.class)).isTrue();
        noClasses().that().resideInAPackage("dev.provisioning.mapper.engine..").should().dependOnClassesThat()
                .resideInAnyPackage("org.apache.kafka..", "io.smallrye.reactive.messaging..", "io.vertx..",
                        "org.hibernate..")
                .because("the mapper's decisions are plain Java; Kafka in and out is messaging/'s job")
                .check(MAPPER);
    }
}
