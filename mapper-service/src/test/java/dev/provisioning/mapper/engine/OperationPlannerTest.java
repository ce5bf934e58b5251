package dev.provisioning.mapper.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.OperationKind;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.mapping.Decision;

class OperationPlannerTest {

    static final AssignmentEvent EVENT = new AssignmentEvent(1, "e1", "job", "c1", false, ObjectType.USER, "u1",
            ChangeKind.UPDATED, Map.of("displayName", "Ann"), List.of(), List.of(), Instant.EPOCH);

    @Test
    void skipAndFailAreAnsweredByTheMapperItself() {
        var skip = OperationPlanner.plan(EVENT, new Decision.Skip("ActionDisabledByJob", "delete is off"),
                Instant.EPOCH);
        var fail = OperationPlanner.plan(EVENT, new Decision.Fail("MandatoryFieldsMissing", "no email"), Instant.EPOCH);

        assertThat(skip.operation()).isNull();
        assertThat(skip.result().status()).isEqualTo(ProvisioningStatus.Skipped);
        assertThat(fail.result().status()).isEqualTo(ProvisioningStatus.Failure);
        assertThat(fail.result().displayName()).isEqualTo("Ann");
        assertThat(fail.result().reportedBy()).isEqualTo("mapper-service");
        assertThat(fail.result().resultId()).isEqualTo("job/u1/c1/e1");
    }

    @Test
    void disableAndDeleteGoToTheWriterWithTheirReason() {
        var disable = OperationPlanner.plan(EVENT, new Decision.Disable("OutOfScope", "filter"), Instant.EPOCH);
        var delete = OperationPlanner.plan(EVENT, new Decision.Delete("hard deleted"), Instant.EPOCH);

        assertThat(disable.result()).isNull();
        assertThat(disable.operation().kind()).isEqualTo(OperationKind.DISABLE);
        assertThat(disable.operation().reasonCode()).isEqualTo("OutOfScope");
        assertThat(delete.operation().kind()).isEqualTo(OperationKind.DELETE);
        assertThat(delete.operation().operationId()).isEqualTo("e1");
    }
}
