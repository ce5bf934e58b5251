package dev.provisioning.notifier;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

import dev.provisioning.notifier.digest.DigestComposer;
import dev.provisioning.notifier.state.StateNoticeComposer;

/**
 * The notifier's domain packages ({@code digest}: what a failure digest says and when it goes; {@code state}: the job
 * state notices) know no Kafka, Vert.x or Hibernate type: messaging/ and persistence/ do the I/O.
 */
class DomainArchitectureTest {

    static final JavaClasses NOTIFIER = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.provisioning.notifier");

    @Test
    void digestAndStateAreFreeOfKafkaVertxAndHibernate() {
        assertThat(NOTIFIER.contain(DigestComposer.class)).isTrue();
        assertThat(NOTIFIER.contain(StateNoticeComposer.class)).isTrue();
        noClasses().that().resideInAnyPackage("dev.provisioning.notifier.digest..", "dev.provisioning.notifier.state..")
                .should().dependOnClassesThat()
                .resideInAnyPackage("org.apache.kafka..", "io.smallrye.reactive.messaging..", "io.vertx..",
                        "org.hibernate..")
                .because("what the emails say and when they go is plain Java, tested without a broker or a database")
                .check(NOTIFIER);
    }
}
