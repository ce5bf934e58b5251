package dev.provisioning.detector.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.EvaluationResult;

/**
 * The test of the architecture test: {@link DetectorArchitecture}'s rules evaluated against a small fixture
 * ({@code architecture.fixture}) that breaks each of them on purpose must report each break, naming the class and the
 * dependency. A rule that cannot fail would pass here silently; these tests would not.
 */
class ArchitectureRulesTest {

    static final String FIXTURE = "dev.provisioning.detector.architecture.fixture";
    static final JavaClasses WRONG = new ClassFileImporter().importPackages(FIXTURE);

    @Test
    void aDomainClassUsingMutinyIsReported() {
        EvaluationResult result = DetectorArchitecture.domainFreeOfFrameworks(FIXTURE).evaluate(WRONG);

        assertThat(result.hasViolation()).isTrue();
        assertThat(result.getFailureReport().getDetails())
                .anyMatch(line -> origin(line).contains("job.FrameworkJob") && line.contains("io.smallrye.mutiny.Uni"));
    }

    @Test
    void anAdapterUsingTheApiAndTheDomainUsingAnAdapterAreReported() {
        EvaluationResult result = DetectorArchitecture.oneWayGraph(FIXTURE).evaluate(WRONG);

        assertThat(result.hasViolation()).isTrue();
        assertThat(result.getFailureReport().getDetails())
                .anyMatch(
                        line -> origin(line).contains("persistence.StoreUsingTheApi") && line.contains("api.Resource"))
                .anyMatch(line -> origin(line).contains("job.FrameworkJob")
                        && line.contains("persistence.StoreUsingTheApi"))
                // api -> persistence is the right way round: not reported
                .noneMatch(line -> origin(line).contains("api.Resource"));
    }

    @Test
    void aLoopBetweenTwoPackagesIsReported() {
        EvaluationResult result = DetectorArchitecture.noLoops(FIXTURE).evaluate(WRONG);

        assertThat(result.hasViolation()).isTrue();
        assertThat(String.join("\n", result.getFailureReport().getDetails())).contains("api", "persistence");
    }

    @Test
    void aPackageOutsideTheGraphIsReported() {
        EvaluationResult result = DetectorArchitecture.everyClassInALayer(FIXTURE).evaluate(WRONG);

        assertThat(result.hasViolation()).isTrue();
        assertThat(result.getFailureReport().getDetails()).anyMatch(line -> line.contains("stray.Unplaced"));
    }

    /** The class or member a violation starts from: the first {@code <...>} of ArchUnit's line. */
    static String origin(String line) {
        int start = line.indexOf('<');
        return start < 0 ? "" : line.substring(start + 1, Math.max(start + 1, line.indexOf('>', start)));
    }
}
