package dev.provisioning.writer.it;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.provisioning.events.MatchingAttribute;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.OperationKind;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.job.EncryptedSecret;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.PatchDialect;
import dev.provisioning.events.job.SecretCipher;
import dev.provisioning.events.job.TargetObjectActions;
import dev.provisioning.localstack.LocalIssuer;
import dev.provisioning.localstack.LocalStackTestResource;

/** Jobs and operations for the tests; every id is unique, as the broker and database are shared. */
final class Fixtures {

    static final String TOKEN = "t";

    private Fixtures() {
    }

    /** A token of the change-detector's service identity, the only caller of the writer's API. */
    static String serviceToken() {
        return LocalStackTestResource.stack().issuer().token("change-detector", LocalIssuer.SERVICE);
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static JobConfig job(String jobId, String tenantUrl) {
        return job(jobId, tenantUrl, TargetObjectActions.ALL);
    }

    static JobConfig job(String jobId, String tenantUrl, TargetObjectActions actions) {
        return job(jobId, tenantUrl, TOKEN, JobState.ACTIVE, PatchDialect.ENTRA, actions, 1);
    }

    /** A job with its token (encrypted afresh: each call gives another ciphertext), state, dialect and revision. */
    static JobConfig job(String jobId, String tenantUrl, String token, JobState state, PatchDialect dialect,
            TargetObjectActions actions, long revision) {
        return job(jobId, tenantUrl, secret(token), state, dialect, actions, revision);
    }

    /**
     * A job with an encrypted token: a later revision whose token did not change carries the same ciphertext, as the
     * change-detector publishes it.
     */
    static JobConfig job(String jobId, String tenantUrl, EncryptedSecret token, JobState state, PatchDialect dialect,
            TargetObjectActions actions, long revision) {
        return new JobConfig(JobConfig.SCHEMA_VERSION, jobId, "test job " + jobId, state, tenantUrl, token, null, false,
                null, true, dialect, actions, false, null, null, null, null, revision, Instant.now());
    }

    /** A token encrypted with the test stack's key. */
    static EncryptedSecret secret(String token) {
        return SecretCipher.fromBase64(LocalStackTestResource.stack().secretKey()).encrypt(token);
    }

    static Map<String, Object> user(String login, String given, String family) {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("userName", login + "@example.com");
        attributes.put("externalId", login);
        attributes.put("displayName", given + " " + family);
        attributes.put("name.givenName", given);
        attributes.put("name.familyName", family);
        attributes.put("emails[type eq \"work\"].value", login + "@example.com");
        attributes.put("active", "True");
        return attributes;
    }

    static ScimOperation upsert(String jobId, String objectId, Map<String, Object> attributes) {
        return upsert(jobId, "cycle-1", objectId, attributes);
    }

    /** An upsert in a given cycle: a job's later cycles match one GET per new user, not in bulk. */
    static ScimOperation upsert(String jobId, String cycleId, String objectId, Map<String, Object> attributes) {
        return new ScimOperation(ScimOperation.SCHEMA_VERSION, unique("op"), jobId, cycleId, ObjectType.USER,
                objectId, String.valueOf(attributes.get("displayName")), OperationKind.UPSERT, attributes, Map.of(),
                List.of(new MatchingAttribute("userName", String.valueOf(attributes.get("userName")), 1)), List.of(),
                null, null, Instant.now());
    }

    static ScimOperation disable(String jobId, String objectId, String reasonCode, String reason) {
        return new ScimOperation(ScimOperation.SCHEMA_VERSION, unique("op"), jobId, "cycle-2", ObjectType.USER,
                objectId, objectId, OperationKind.DISABLE, Map.of(), Map.of(), List.of(), List.of(), reasonCode,
                reason, Instant.now());
    }

    static ScimOperation delete(String jobId, String objectId) {
        return new ScimOperation(ScimOperation.SCHEMA_VERSION, unique("op"), jobId, "cycle-2", ObjectType.USER,
                objectId, objectId, OperationKind.DELETE, Map.of(), Map.of(), List.of(), List.of(), "SourceDeleted",
                "deleted in the source", Instant.now());
    }

    static String resultId(ScimOperation op) {
        return ProvisioningResult.idOf(op.jobId(), op.objectId(), op.cycleId(), op.operationId());
    }

    static ScimOperation group(String jobId, String cycleId, String objectId, String displayName,
            List<String> members) {
        return new ScimOperation(ScimOperation.SCHEMA_VERSION, unique("op"), jobId, cycleId, ObjectType.GROUP,
                objectId, displayName, OperationKind.UPSERT,
                Map.of("displayName", displayName, "externalId", objectId), Map.of(), List.of(), members, null, null,
                Instant.now());
    }

    static ScimOperation deleteGroup(String jobId, String objectId) {
        return new ScimOperation(ScimOperation.SCHEMA_VERSION, unique("op"), jobId, "cycle-9", ObjectType.GROUP,
                objectId, objectId, OperationKind.DELETE, Map.of(), Map.of(), List.of(), List.of(), "SourceDeleted",
                "deleted in the source", Instant.now());
    }
}
