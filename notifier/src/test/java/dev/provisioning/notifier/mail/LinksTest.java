package dev.provisioning.notifier.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;

import org.junit.jupiter.api.Test;

class LinksTest {

    @Test
    void linksToTheFailedLogsAndTheStatusOfTheJob() {
        Links links = new Links(Optional.of("https://prov.example.com//"));

        assertThat(links.failureLogs("job-1")).isEqualTo("https://prov.example.com/jobs/job-1/logs?status=Failure");
        assertThat(links.status("job-1")).isEqualTo("https://prov.example.com/jobs/job-1/status");
    }

    @Test
    void jobIdsAreEncoded() {
        assertThat(new Links(Optional.of("http://h")).status("a b/c")).isEqualTo("http://h/jobs/a%20b%2Fc/status");
    }

    @Test
    void noBaseUrlOrABlankOneMeansNoLinks() {
        assertThat(new Links(Optional.empty()).failureLogs("job-1")).isNull();
        assertThat(new Links(Optional.of("  ")).status("job-1")).isNull();
    }
}
