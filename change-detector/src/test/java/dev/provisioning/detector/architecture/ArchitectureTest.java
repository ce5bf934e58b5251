package dev.provisioning.detector.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/** The detector's own classes keep {@link DetectorArchitecture}'s rules. */
class ArchitectureTest {

    static final String ROOT = "dev.provisioning.detector";
    static final JavaClasses DETECTOR = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(ROOT);

    @Test
    void theRulesReadTheDetectorsOwnClassesAndNoTestClass() {
        assertThat(DETECTOR.contain(dev.provisioning.detector.job.ProvisioningJob.class)).isTrue();
        assertThat(DETECTOR.contain(dev.provisioning.detector.api.JobsResource.class)).isTrue();
        assertThat(DETECTOR.contain(ArchitectureTest.class)).isFalse();
    }

    @Test
    void thePackagesFormAOneWayGraph() {
        DetectorArchitecture.oneWayGraph(ROOT).check(DETECTOR);
    }

    @Test
    void noTwoPackagesDependOnEachOther() {
        DetectorArchitecture.noLoops(ROOT).check(DETECTOR);
    }

    @Test
    void everyClassIsInAPackageOfTheGraph() {
        DetectorArchitecture.everyClassInALayer(ROOT).check(DETECTOR);
    }

    @Test
    void theProvisioningJobIsPlainJava() {
        DetectorArchitecture.domainFreeOfFrameworks(ROOT).check(DETECTOR);
    }
}
