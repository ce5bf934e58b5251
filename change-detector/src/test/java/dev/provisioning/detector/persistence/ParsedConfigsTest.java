package dev.provisioning.detector.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.Json;
import dev.provisioning.events.MalformedEventException;
import dev.provisioning.events.job.EncryptedSecret;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.SourceConfig;

class ParsedConfigsTest {

    private final ParsedConfigs configs = new ParsedConfigs();

    private static String json(String jobId, String name, long revision) {
        return Json.write(new JobConfig(1, jobId, name, JobState.ACTIVE, "https://druva.test/scim",
                new EncryptedSecret("k1", "ciphertext"), null, false, null, true, null, null, false, null, null,
                SourceConfig.directoryFile("/tmp/directory.json"), Duration.ofMinutes(40), revision, null));
    }

    @Test
    void theSameTextOfAJobIsParsedOnce() {
        String text = json("job-1", "Druva", 1);

        JobConfig first = configs.config("job-1", text);
        JobConfig again = configs.config("job-1", new String(text.toCharArray()));

        assertThat(again).isSameAs(first);
        assertThat(first.name()).isEqualTo("Druva");
    }

    @Test
    void aChangedConfigurationIsParsedAgainAndReplacesTheOldOne() {
        JobConfig before = configs.config("job-1", json("job-1", "Druva", 1));

        JobConfig after = configs.config("job-1", json("job-1", "Druva renamed", 2));

        assertThat(after).isNotSameAs(before);
        assertThat(after.name()).isEqualTo("Druva renamed");
        assertThat(after.revision()).isEqualTo(2);
        assertThat(configs.size()).isEqualTo(1);
    }

    @Test
    void aForgottenJobIsParsedAgainAndOtherJobsKeepTheirs() {
        String one = json("job-1", "Druva", 1);
        String two = json("job-2", "Druva two", 1);
        JobConfig first = configs.config("job-1", one);
        JobConfig second = configs.config("job-2", two);

        configs.forget("job-1");

        assertThat(configs.config("job-1", one)).isNotSameAs(first).isEqualTo(first);
        assertThat(configs.config("job-2", two)).isSameAs(second);
    }

    @Test
    void anInvalidConfigurationIsRejectedEveryTimeAndNotCached() {
        String invalid = json("job-1", "Druva", 1).replace("\"schemaVersion\":1", "\"schemaVersion\":99");

        assertThatThrownBy(() -> configs.config("job-1", invalid)).isInstanceOf(MalformedEventException.class);
        assertThatThrownBy(() -> configs.config("job-1", invalid)).isInstanceOf(MalformedEventException.class);
        assertThat(configs.size()).isZero();
    }
}
