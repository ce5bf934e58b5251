package dev.provisioning.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.job.EncryptedSecret;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.SecretCipher;

class EventCodecTest {

    @Test
    void assignmentEventRoundTripsThroughJson() {
        var event = new AssignmentEvent(1, "e1", "job", "c1", true, ObjectType.USER, "u1", ChangeKind.ADDED,
                Map.of("userPrincipalName", "a@x.test", "accountEnabled", true), List.of(new Assignment("r1", null)),
                List.of(), Instant.parse("2026-11-26T10:00:00Z"));

        AssignmentEvent back = EventChecks.assignment(Json.write(event));

        assertThat(back).isEqualTo(event);
        assertThat(back.key()).isEqualTo("job/u1");
    }

    @Test
    void aResultCarriesWhenItIsRetriedAndWhichResultAFollowUpReplacesAndStaysReadableBothWays() throws Exception {
        Instant at = Instant.parse("2026-11-26T16:00:00Z");
        var escrowed = new ProvisioningResult(1, "job/u1/c1/e1", "job", "c1", "e1", ObjectType.USER, "u1", null, "U",
                ProvisioningAction.Other, ProvisioningStatus.Failure, "TargetUnavailable", "HTTP 503", 503, 9, 300_000,
                List.of(), "scim-writer", at.minusSeconds(21_600), at, null);
        var followUp = new ProvisioningResult(1, ProvisioningResult.followUpIdOf(escrowed.resultId()), "job", "c1",
                "e1", ObjectType.USER, "u1", "d1", "U", ProvisioningAction.Create, ProvisioningStatus.Success, null,
                null, 201, 1, 40, List.of(), "scim-writer", at, null, escrowed.resultId());

        assertThat(EventChecks.result(Json.write(escrowed))).isEqualTo(escrowed);
        assertThat(EventChecks.result(Json.write(followUp))).isEqualTo(followUp);
        assertThat(followUp.resultId()).isEqualTo("job/u1/c1/e1/retry");
        // a result written before the fields existed reads with both null, and a first outcome does not write them
        var first = new ProvisioningResult(1, "job/u2/c1/e2", "job", "c1", "e2", ObjectType.USER, "u2", "d2", "V",
                ProvisioningAction.Create, ProvisioningStatus.Success, null, null, 201, 1, 30, List.of(), "scim-writer",
                at);
        assertThat(Json.write(first)).doesNotContain("retryAt").doesNotContain("retryOf");
        assertThat(EventChecks.result(Json.write(first))).isEqualTo(first)
                .satisfies(r -> assertThat(r.retryAt()).isNull());
    }

    @Test
    void anAssignmentCarriesTheRolesValueAndDisplayNameAndStaysReadableBothWays() throws Exception {
        var withRole = new Assignment("r1", "g1", "Admin", "Administrator");
        var event = new AssignmentEvent(1, "e1", "job", "c1", true, ObjectType.USER, "u1", ChangeKind.ADDED, Map.of(),
                List.of(withRole), List.of(), Instant.parse("2026-11-26T10:00:00Z"));

        AssignmentEvent back = EventChecks.assignment(Json.write(event));

        assertThat(back.assignments()).containsExactly(withRole);
        // a record written before the role fields existed reads as a role known only by id
        assertThat(Json.mapper().readValue("{\"appRoleId\":\"r1\",\"viaGroupId\":null}", Assignment.class))
                .isEqualTo(new Assignment("r1", null, null, null));
        // unknown role fields are not written, so records of roles known only by id are unchanged
        assertThat(Json.write(new Assignment("r1", null))).isEqualTo("{\"appRoleId\":\"r1\"}");
        assertThat(new Assignment("r1", null).withRole("Admin", null))
                .isEqualTo(new Assignment("r1", null, "Admin", null));
    }

    @Test
    void malformedRecordIsRejectedWithAReasonNamingTheField() {
        assertThatThrownBy(() -> EventChecks.assignment("{\"schemaVersion\":1,\"eventId\":\"e\",\"cycleId\":\"c\"}"))
                .isInstanceOf(MalformedEventException.class)
                .hasMessage("AssignmentEvent: field 'jobId' is required");
        assertThatThrownBy(() -> EventChecks.operation("not json"))
                .isInstanceOf(MalformedEventException.class)
                .hasMessageStartingWith("ScimOperation: ");
        assertThatThrownBy(() -> EventChecks.result("{\"schemaVersion\":99}"))
                .hasMessageContaining("unsupported schemaVersion 99");
    }

    @Test
    void operationWithANullAttributeIsRejected() {
        String json = "{\"schemaVersion\":1,\"operationId\":\"o\",\"jobId\":\"j\",\"cycleId\":\"c\",\"objectType\":\"USER\","
                + "\"objectId\":\"u\",\"kind\":\"UPSERT\",\"attributes\":{\"userName\":null}}";

        assertThatThrownBy(() -> EventChecks.operation(json)).hasMessageContaining("attribute 'userName' is null");
    }

    /**
     * An operation read from its record's bytes (the scim-writer's consumer, issue 13) is the operation read from its
     * text: names and values beyond ASCII, nested and typed attributes, members, and the same refusals.
     */
    @Test
    void anOperationReadFromItsBytesIsTheOperationReadFromItsText() {
        var op = new ScimOperation(1, "o-1", "job", "c1", ObjectType.USER, "u-1", "Zoë Ångström 山田",
                OperationKind.UPSERT,
                Map.of("userName", "zoe@example.com", "name.givenName", "Zoë", "active", true,
                        "emails[type eq \"work\"].value", "zoë@example.com"),
                Map.of("password", "p€ss"), List.of(new MatchingAttribute("userName", "zoe@example.com", 1)),
                List.of("m1", "m2"), "Reason", "a reason – with a dash", Instant.parse("2026-12-04T04:00:00.123456Z"));
        String text = Json.write(op);

        ScimOperation fromBytes = EventChecks.operation(text.getBytes(StandardCharsets.UTF_8));

        assertThat(fromBytes).isEqualTo(EventChecks.operation(text)).isEqualTo(op);
        for (String bad : new String[]{"not json", "", "   ", "null", "{\"schemaVersion\":1,\"operationId\":\"o\"}",
                "{\"schemaVersion\":1,\"operationId\":\"o\",\"jobId\":\"j\",\"cycleId\":\"c\","
                        + "\"objectType\":\"USER\",\"objectId\":\"u\",\"kind\":\"UPSERT\",\"attributes\":{\"a\":null}}"}) {
            Throwable ofText = catchThrowable(() -> EventChecks.operation(bad));
            assertThat(ofText).as(bad).isInstanceOf(MalformedEventException.class);
            assertThatThrownBy(() -> EventChecks.operation(bad.getBytes(StandardCharsets.UTF_8))).as(bad)
                    .isInstanceOf(MalformedEventException.class)
                    .hasMessageStartingWith(ofText.getMessage().split(" at line ")[0].split(" at \\[")[0]);
        }
        assertThatThrownBy(() -> EventChecks.operation((byte[]) null)).isInstanceOf(MalformedEventException.class)
                .hasMessage("ScimOperation: empty record");
    }

    @Test
    void secretsRoundTripAndNeverAppearInClearInTheJobRecord() {
        SecretCipher cipher = SecretCipher.fromBase64(SecretCipher.generateKey());
        EncryptedSecret sealed = cipher.encrypt("druva-token-123");
        var job = new JobConfig(1, "job", "Druva", JobState.ACTIVE, "https://x/scim", sealed, null, true, null, true,
                null, null, false, null, null, null, null, 1, Instant.now());

        String json = Json.write(job);

        assertThat(json).doesNotContain("druva-token-123");
        assertThat(cipher.decrypt(EventChecks.job(json).secretToken())).isEqualTo("druva-token-123");
        assertThat(sealed.toString()).doesNotContain(sealed.ciphertext());
    }

    @Test
    void aSecretFromAnotherKeyIsRefused() {
        EncryptedSecret sealed = SecretCipher.fromBase64(SecretCipher.generateKey()).encrypt("t");
        SecretCipher other = SecretCipher.fromBase64(SecretCipher.generateKey());

        assertThatThrownBy(() -> other.decrypt(sealed)).hasMessageContaining("encrypted with key");
    }
}
