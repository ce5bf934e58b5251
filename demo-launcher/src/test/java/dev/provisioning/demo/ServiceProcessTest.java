package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The environment a service process starts with: glibc's malloc settings are the deployment's
 * ({@link LocalSystem#DEPLOYMENT_MALLOC_ENVIRONMENT}) whatever the launcher's shell holds, unless the service's own
 * environment names other values. No process is started.
 */
class ServiceProcessTest {

    @TempDir
    Path logs;

    @Test
    void aMallocSettingLeftInTheLaunchersEnvironmentGivesWayToTheDeploymentsWithAWarning() {
        ServiceProcess writer = new ServiceProcess("scim-writer", Path.of("quarkus-run.jar"), 8083, 9083,
                Map.of("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"), logs);

        ServiceProcess.LaunchEnvironment launch = writer.launchEnvironment(Map.of("PATH", "/usr/bin",
                "MALLOC_ARENA_MAX", "8", "MALLOC_TRIM_THRESHOLD_", "0", "GLIBC_TUNABLES", "glibc.malloc.arena_max=4"));

        assertThat(launch.variables()).containsEntry("MALLOC_ARENA_MAX", "1")
                .containsEntry("MALLOC_MMAP_THRESHOLD_", "131072").doesNotContainKeys("MALLOC_TRIM_THRESHOLD_",
                        "GLIBC_TUNABLES")
                .containsEntry("PATH", "/usr/bin").containsEntry("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
                .containsEntry("QUARKUS_HTTP_PORT", "8083").containsEntry("QUARKUS_HTTP_HOST", "127.0.0.1");
        assertThat(launch.warnings()).hasSize(3).allMatch(w -> w.startsWith("scim-writer: ignoring "))
                .anyMatch(w -> w.contains("MALLOC_ARENA_MAX=8") && w.contains("the deployment's is 1"))
                .anyMatch(w -> w.contains("MALLOC_TRIM_THRESHOLD_=0") && w.contains("does not set it"))
                .anyMatch(w -> w.contains("GLIBC_TUNABLES=glibc.malloc.arena_max=4"));
    }

    @Test
    void theServicesOwnEnvironmentSetsOtherMallocSettingsWithoutAWarning() {
        ServiceProcess writer = new ServiceProcess("scim-writer", Path.of("quarkus-run.jar"), 8083, 9083,
                Map.of("MALLOC_ARENA_MAX", "2", "MALLOC_TOP_PAD_", "65536"), logs);

        ServiceProcess.LaunchEnvironment launch = writer.launchEnvironment(Map.of("MALLOC_ARENA_MAX", "8",
                "MALLOC_TOP_PAD_", "0"));

        assertThat(launch.variables()).containsEntry("MALLOC_ARENA_MAX", "2").containsEntry("MALLOC_TOP_PAD_", "65536")
                .containsEntry("MALLOC_MMAP_THRESHOLD_", "131072");
        assertThat(launch.warnings()).isEmpty();
    }

    @Test
    void theDeploymentsOwnValuesInTheLaunchersEnvironmentPassQuietly() {
        ServiceProcess notifier = new ServiceProcess("notifier", Path.of("quarkus-run.jar"), 8084, 9084, Map.of(),
                logs);

        ServiceProcess.LaunchEnvironment launch = notifier.launchEnvironment(Map.of("MALLOC_ARENA_MAX", "1"));

        assertThat(launch.variables()).containsAllEntriesOf(LocalSystem.DEPLOYMENT_MALLOC_ENVIRONMENT);
        assertThat(launch.warnings()).isEmpty();
    }
}
