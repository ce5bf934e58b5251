package dev.provisioning.writer.escrow;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.job.EncryptedSecret;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;

class CredentialHoldsTest {

    private static final EncryptedSecret TOKEN = new EncryptedSecret("k1", "ciphertext-1");
    private static final EncryptedSecret NEW_TOKEN = new EncryptedSecret("k1", "ciphertext-2");

    private static JobConfig job(String id, JobState state, EncryptedSecret token, long revision) {
        return new JobConfig(1, id, id, state, "https://x/scim", token, null, false, null, true, null, null, false,
                null, null, null, null, revision, Instant.now());
    }

    @Test
    void theFirst401HoldsTheJobAndLaterOnesAreNotFirst() {
        CredentialHolds holds = new CredentialHolds();

        assertThat(holds.hold(job("j", JobState.ACTIVE, TOKEN, 3))).isTrue();
        assertThat(holds.hold(job("j", JobState.ACTIVE, TOKEN, 3))).isFalse();
        assertThat(holds.isHeld(job("j", JobState.ACTIVE, TOKEN, 3))).isTrue();
        assertThat(holds.isHeld(job("other", JobState.ACTIVE, TOKEN, 3))).isFalse();
    }

    @Test
    void aQuarantinedRevisionKeepsTheHoldAndANewTokenOrAStartReleasesIt() {
        CredentialHolds holds = new CredentialHolds();
        holds.hold(job("j", JobState.ACTIVE, TOKEN, 3));

        assertThat(holds.onJob(job("j", JobState.QUARANTINED, TOKEN, 4))).isFalse();
        assertThat(holds.isHeld(job("j", JobState.QUARANTINED, TOKEN, 4))).isTrue();
        assertThat(holds.onJob(job("j", JobState.ACTIVE, TOKEN, 5))).as("started again").isTrue();
        assertThat(holds.isHeld(job("j", JobState.ACTIVE, TOKEN, 5))).isFalse();

        holds.hold(job("j", JobState.ACTIVE, TOKEN, 5));
        assertThat(holds.onJob(job("j", JobState.QUARANTINED, NEW_TOKEN, 6))).as("a new token").isTrue();
    }

    @Test
    void theFingerprintTellsTokensApartWithoutShowingThem() {
        assertThat(CredentialHolds.fingerprint(TOKEN)).hasSize(32).doesNotContain("ciphertext")
                .isEqualTo(CredentialHolds.fingerprint(new EncryptedSecret("k1", "ciphertext-1")))
                .isNotEqualTo(CredentialHolds.fingerprint(NEW_TOKEN));
    }
}
