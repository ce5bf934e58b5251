package dev.provisioning.writer.throughput;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class ReplicaShareTest {

    @Test
    void eachLiveReplicaTakesAnEqualPartSoTheTenantNeverExceedsItsBudget() {
        for (int live = 1; live <= 7; live++) {
            double sum = 0;
            int inFlight = 0;
            for (int i = 0; i < live; i++) {
                sum += ReplicaShare.rate(25, live);
                inFlight += ReplicaShare.inFlight(32, live);
            }
            assertThat(sum).isCloseTo(25, org.assertj.core.api.Assertions.within(1e-9));
            assertThat(inFlight).isLessThanOrEqualTo(32);
        }
        assertThat(ReplicaShare.rate(25, 4)).isEqualTo(6.25);
        assertThat(ReplicaShare.inFlight(32, 3)).isEqualTo(10);
    }

    @Test
    void noLiveReplicaCountedMeansThisOneTakesAllAndTheInFlightShareIsAtLeastOne() {
        assertThat(ReplicaShare.rate(25, 0)).isEqualTo(25);
        assertThat(ReplicaShare.inFlight(4, 10)).isEqualTo(1);
    }

    @Test
    void inFlightGrantsWaitersInOrderWhenPermitsAreReleasedOrTheCapGrows() {
        InFlight cap = new InFlight(1);
        List<String> granted = new ArrayList<>();
        assertThat(cap.acquire(() -> granted.add("first"))).isTrue();
        assertThat(cap.acquire(() -> granted.add("second"))).isFalse();
        assertThat(cap.acquire(() -> granted.add("third"))).isFalse();

        cap.release();
        assertThat(granted).containsExactly("second");
        cap.max(2);
        assertThat(granted).containsExactly("second", "third");
        assertThat(cap.inUse()).isEqualTo(2);
    }
}
