package dev.provisioning.writer.provisioning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.job.EncryptedSecret;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.SecretCipher;
import dev.provisioning.events.job.SourceConfig;

class DecryptedTokensTest {

    private final SecretCipher cipher = SecretCipher.fromBase64(SecretCipher.generateKey());
    private final DecryptedTokens tokens = new DecryptedTokens(cipher);

    private static JobConfig job(String jobId, EncryptedSecret token, long revision) {
        return new JobConfig(1, jobId, "Druva", JobState.ACTIVE, "https://druva.test/scim", token, null, false, null,
                true, null, null, false, null, null, SourceConfig.directoryFile("/tmp/directory.json"),
                Duration.ofMinutes(40), revision, null);
    }

    @Test
    void aJobsTokenIsDecryptedOncePerRevision() {
        JobConfig job = job("job-1", cipher.encrypt("token-1"), 3);

        String first = tokens.token(job);
        String again = tokens.token(job("job-1", job.secretToken(), 3));

        assertThat(first).isEqualTo("token-1");
        // the same String: not decrypted again (a decryption makes a new one)
        assertThat(again).isSameAs(first);
    }

    @Test
    void aNewRevisionWithANewTokenIsDecryptedAndReplacesTheOldOne() {
        String old = tokens.token(job("job-1", cipher.encrypt("token-1"), 3));

        String renewed = tokens.token(job("job-1", cipher.encrypt("token-2"), 4));

        assertThat(old).isEqualTo("token-1");
        assertThat(renewed).isEqualTo("token-2");
        assertThat(tokens.size()).isEqualTo(1);
    }

    @Test
    void aNewRevisionWithTheSameEncryptedTokenIsDecryptedAgain() {
        EncryptedSecret secret = cipher.encrypt("token-1");
        String first = tokens.token(job("job-1", secret, 3));

        assertThat(tokens.token(job("job-1", secret, 4))).isEqualTo("token-1").isNotSameAs(first);
    }

    @Test
    void aForgottenJobIsDecryptedAgainAndOtherJobsKeepTheirs() {
        String one = tokens.token(job("job-1", cipher.encrypt("token-1"), 1));
        JobConfig two = job("job-2", cipher.encrypt("token-2"), 1);
        String twoFirst = tokens.token(two);

        tokens.forget("job-1");

        assertThat(tokens.size()).isEqualTo(1);
        assertThat(tokens.token(two)).isSameAs(twoFirst);
        assertThat(tokens.token(job("job-1", cipher.encrypt("token-1"), 1))).isEqualTo(one).isNotSameAs(one);
    }

    @Test
    void aTokenThatCannotBeDecryptedFailsEveryTimeAndIsNotHeldNorShown() {
        EncryptedSecret foreign = SecretCipher.fromBase64(SecretCipher.generateKey()).encrypt("token-1");
        tokens.token(job("job-2", cipher.encrypt("token-2"), 1));

        assertThatThrownBy(() -> tokens.token(job("job-1", foreign, 1))).isInstanceOf(IllegalArgumentException.class)
                .message().doesNotContain("token-1");
        assertThatThrownBy(() -> tokens.token(job("job-1", foreign, 1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(tokens.size()).isEqualTo(1);
        assertThat(tokens.toString()).doesNotContain("token-2");
    }
}
