package dev.provisioning.writer.throughput;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobDirectory;
import dev.provisioning.events.job.JobState;

/** {@link TenantGates#soleActiveTenant}: when a flood's lane may keep operations beyond its rooms (issue 13). */
class SoleActiveTenantTest {

    private static JobConfig job(String id, JobState state, String tenantUrl) {
        return new JobConfig(1, id, id, state, tenantUrl, null, null, false, null, true, null, null, false, null, null,
                null, null, 1, Instant.now());
    }

    @Test
    void aTenantIsSoleWhileEveryOtherTenantsJobIsPausedAndNoLongerOnceOneIsOnOrQuarantined() {
        JobDirectory jobs = new JobDirectory();
        String flood = TenantGates.tenantKey("https://flood.example/scim");
        jobs.put(job("a", JobState.ACTIVE, "https://FLOOD.example/scim/"));
        jobs.put(job("a2", JobState.QUARANTINED, "https://flood.example/scim"));
        jobs.put(job("b", JobState.PAUSED, "https://other.example/scim"));

        assertThat(TenantGates.soleActiveTenant(jobs, flood)).as("another job of the same tenant, one paused").isTrue();

        jobs.put(job("c", JobState.QUARANTINED, "https://other.example/scim"));
        assertThat(TenantGates.soleActiveTenant(jobs, flood)).as("a quarantined job still runs cycles").isFalse();

        jobs.remove("c");
        jobs.put(job("d", JobState.ACTIVE, "https://third.example/scim"));
        assertThat(TenantGates.soleActiveTenant(jobs, flood)).isFalse();
        assertThat(TenantGates.soleActiveTenant(new JobDirectory(), flood)).as("no job known").isTrue();
    }
}
