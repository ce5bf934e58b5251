package dev.provisioning.writer.provisioning;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.EventChecks;
import dev.provisioning.events.ModifiedProperty;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;

class ResultJsonTest {

    private static ProvisioningResult created() {
        return new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION, "result-1", "job-1", "cycle-1", "event-1",
                ObjectType.USER, "user-1", "druva-1", "Zoë Ångström", ProvisioningAction.Create,
                ProvisioningStatus.Success, null, null, 201, 1, 12,
                List.of(new ModifiedProperty("userName", null, "zoe@example.com")), "scim-writer",
                Instant.parse("2026-12-03T17:00:00Z"));
    }

    @Test
    void theResultRecordedIsPublishedWithTheTextWrittenWhenItWasRecorded() {
        ResultJson json = new ResultJson();
        ProvisioningResult result = created();

        String recorded = json.of(result);

        assertThat(json.of(result)).isSameAs(recorded);
        assertThat(EventChecks.result(recorded)).isEqualTo(result);
    }

    @Test
    void anEqualResultOfAnotherInstanceGetsTheSameText() {
        ResultJson json = new ResultJson();

        assertThat(json.of(created())).isEqualTo(json.of(created()));
    }
}
