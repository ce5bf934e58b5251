package dev.provisioning.detector.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.runtime.configuration.MemorySize;

import dev.provisioning.detector.config.DetectorConfig;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.SourceConfig;

/**
 * Which reads share a directory-file job's element memo (issue 13, F2): the job's reads do, until its file path
 * changes or the job is deleted (forgotten); other jobs never do.
 */
class DirectorySourcesMemoTest {

    @TempDir
    Path dir;

    @Test
    void aJobsReadsShareItsMemoUntilItsPathChangesOrItIsForgotten() throws Exception {
        Path file = dir.resolve("directory.json");
        Path copy = dir.resolve("copy.json");
        Files.writeString(file, TestDirectories.users(20));
        Files.copy(file, copy);
        DirectorySources sources = new DirectorySources(null, config());

        Directory.SourceUser first = sources.forJob(job("job-1", file)).read().users().get(0);
        assertThat(sources.memoSize("job-1")).isEqualTo(40);
        assertThat(sources.forJob(job("job-1", file)).read().users().get(0)).as("the same job and file")
                .isSameAs(first);
        assertThat(sources.forJob(job("job-2", file)).read().users().get(0)).as("another job")
                .isNotSameAs(first).isEqualTo(first);

        Directory.SourceUser moved = sources.forJob(job("job-1", copy)).read().users().get(0);
        assertThat(moved).as("the job's file path changed").isNotSameAs(first).isEqualTo(first);
        assertThat(sources.forJob(job("job-1", copy)).read().users().get(0)).isSameAs(moved);

        sources.forget("job-1");
        assertThat(sources.memoSize("job-1")).isZero();
        assertThat(sources.forJob(job("job-1", copy)).read().users().get(0)).as("forgotten (deleted)")
                .isNotSameAs(moved).isEqualTo(moved);
        assertThat(sources.memoSize("job-2")).isEqualTo(40);
    }

    private static JobConfig job(String id, Path file) {
        return new JobConfig(1, id, "Druva", JobState.ACTIVE, "https://druva.test/scim", null, null, false, null, true,
                null, null, false, null, null, SourceConfig.directoryFile(file.toString()), null, 1, null);
    }

    /** The two settings a directory-file source reads: no root, 256 MB. */
    private static DetectorConfig config() {
        DetectorConfig.DirectoryFile file = (DetectorConfig.DirectoryFile) Proxy.newProxyInstance(
                DirectorySourcesMemoTest.class.getClassLoader(), new Class<?>[]{DetectorConfig.DirectoryFile.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "maxSize" -> new MemorySize(BigInteger.valueOf(256L * 1024 * 1024));
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        return (DetectorConfig) Proxy.newProxyInstance(DirectorySourcesMemoTest.class.getClassLoader(),
                new Class<?>[]{DetectorConfig.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "directoryRoot" -> Optional.empty();
                    case "directoryFile" -> file;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
