package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.resultId;
import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.druva.DruvaUser;
import dev.provisioning.events.MatchingAttribute;
import dev.provisioning.events.ModifiedProperty;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.job.TargetObjectActions;
import dev.provisioning.localstack.LocalStackTestResource;

/**
 * The writer against the real embedded Kafka and PostgreSQL and a Druva-like SCIM target: what Druva ends up with, the
 * exact requests it receives, and the results on {@code provisioning.results}.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "scim_writer"))
class UserProvisioningTest {

    private DruvaScimServer druva;
    private String jobId;

    @BeforeEach
    void startTarget() {
        druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN));
        jobId = unique("job");
        KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl()));
    }

    @AfterEach
    void stopTarget() {
        druva.close();
    }

    @Test
    void newUserOnAnInitialCycleIsMatchedAgainstOnePageOfUsersThenCreatedWithEntrasBody() {
        ScimOperation op = Fixtures.upsert(jobId, "obj-ada", Fixtures.user("ada", "Ada", "Lovelace"));

        KafkaTopics.publishOperation(op);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(op));

        assertThat(Sent.of(druva)).extracting(Sent::method, Sent::path, Sent::query, Sent::status)
                .containsExactly(tuple("GET", "/Users", "startIndex=1&count=100", 200),
                        tuple("POST", "/Users", null, 201));
        assertThat(Sent.of(druva).get(1).body()).isEqualTo(
                "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"externalId\":\"ada\","
                        + "\"userName\":\"ada@example.com\",\"active\":true,\"displayName\":\"Ada Lovelace\","
                        + "\"emails\":[{\"primary\":true,\"type\":\"work\",\"value\":\"ada@example.com\"}],"
                        + "\"name\":{\"givenName\":\"Ada\",\"familyName\":\"Lovelace\",\"formatted\":\"Ada Lovelace\"}}");
        assertThat(druva.users()).singleElement().satisfies(user -> {
            assertThat(user.userName()).isEqualTo("ada@example.com");
            assertThat(user.email()).isEqualTo("ada@example.com");
            assertThat(user.active()).isTrue();
        });
        assertThat(result.action()).isEqualTo(ProvisioningAction.Create);
        assertThat(result.status()).isEqualTo(ProvisioningStatus.Success);
        assertThat(result.targetId()).isEqualTo(druva.users().get(0).id());
        assertThat(result.eventId()).isEqualTo(op.operationId());
        assertThat(result.httpStatus()).isEqualTo(201);
        assertThat(result.reportedBy()).isEqualTo("scim-writer");
        assertThat(result.key()).isEqualTo(op.key());
    }

    @Test
    void aSecondSourceUserWithTheNameOfOneCreatedInTheSameInitialCycleIsMatchedWithAGetAndLinked() {
        ScimOperation first = Fixtures.upsert(jobId, "obj-cat", Fixtures.user("cat", "Cat", "First"));
        KafkaTopics.publishOperation(first);
        KafkaTopics.awaitResult(resultId(first));
        int before = Sent.of(druva).size();

        // another source object of the same initial cycle with the same userName: the created user is known to the
        // cycle's snapshot by its mark only, so it is matched the way Entra matches, one GET, and linked, not created
        ScimOperation second = Fixtures.upsert(jobId, "obj-cat-2", Fixtures.user("cat", "Cat", "Second"));
        KafkaTopics.publishOperation(second);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(second));

        List<Sent> sent = Sent.of(druva).subList(before, Sent.of(druva).size());
        assertThat(sent).extracting(Sent::method, Sent::query).containsExactly(
                tuple("GET", "filter=userName eq \"cat@example.com\""), tuple("PATCH", null));
        assertThat(druva.users()).singleElement().extracting(DruvaUser::familyName).isEqualTo("Second");
        assertThat(result.action()).isEqualTo(ProvisioningAction.Update);
    }

    @Test
    void newUserInALaterCycleIsMatchedByUserNameThenCreated() {
        ScimOperation seed = Fixtures.upsert(jobId, "obj-abe", Fixtures.user("abe", "Abe", "Seed"));
        KafkaTopics.publishOperation(seed);
        KafkaTopics.awaitResult(resultId(seed));
        int before = Sent.of(druva).size();

        ScimOperation op = Fixtures.upsert(jobId, "cycle-2", "obj-ari", Fixtures.user("ari", "Ari", "Second"));
        KafkaTopics.publishOperation(op);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(op));

        List<Sent> sent = Sent.of(druva).subList(before, Sent.of(druva).size());
        assertThat(sent).extracting(Sent::method, Sent::path, Sent::query, Sent::status)
                .containsExactly(tuple("GET", "/Users", "filter=userName eq \"ari@example.com\"", 200),
                        tuple("POST", "/Users", null, 201));
        assertThat(result.action()).isEqualTo(ProvisioningAction.Create);
        assertThat(druva.users()).extracting(DruvaUser::userName).containsExactly("abe@example.com",
                "ari@example.com");
    }

    @Test
    void anExistingDruvaUserIsLinkedFromTheInitialPageWithoutAnotherGet() {
        // the Druva user exists before the job's first operation: created here over SCIM by another job
        String otherJob = unique("job");
        KafkaTopics.publishJob(Fixtures.job(otherJob, druva.baseUrl()));
        ScimOperation theirs = Fixtures.upsert(otherJob, "obj-zed", Fixtures.user("zed", "Zed", "Old"));
        KafkaTopics.publishOperation(theirs);
        KafkaTopics.awaitResult(resultId(theirs));
        String freshJob = unique("job");
        KafkaTopics.publishJob(Fixtures.job(freshJob, druva.baseUrl()));
        int before = Sent.of(druva).size();

        ScimOperation op = Fixtures.upsert(freshJob, "obj-zed", Fixtures.user("zed", "Zed", "New"));
        KafkaTopics.publishOperation(op);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(op));

        List<Sent> sent = Sent.of(druva).subList(before, Sent.of(druva).size());
        assertThat(sent).extracting(Sent::method, Sent::query)
                .containsExactly(tuple("GET", "startIndex=1&count=100"), tuple("PATCH", null));
        assertThat(result.action()).isEqualTo(ProvisioningAction.Update);
        assertThat(druva.users()).filteredOn(u -> u.userName().equals("zed@example.com")).singleElement()
                .extracting(DruvaUser::familyName).isEqualTo("New");
    }

    @Test
    void changedUserGetsOnlyTheChangedAttributesPatchedAndTheFormattedNameFollowsTheSurname() {
        ScimOperation create = Fixtures.upsert(jobId, "obj-bob", Fixtures.user("bob", "Bob", "Builder"));
        KafkaTopics.publishOperation(create);
        KafkaTopics.awaitResult(resultId(create));
        int before = Sent.of(druva).size();

        ScimOperation update = Fixtures.upsert(jobId, "obj-bob", Fixtures.user("bob", "Bob", "Baumeister"));
        KafkaTopics.publishOperation(update);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(update));

        List<Sent> sent = Sent.of(druva).subList(before, Sent.of(druva).size());
        assertThat(sent).singleElement().satisfies(request -> {
            assertThat(request.method()).isEqualTo("PATCH");
            assertThat(request.path()).isEqualTo("/Users/" + result.targetId());
            assertThat(request.body()).isEqualTo("{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
                    + "\"Operations\":[{\"op\":\"Replace\",\"path\":\"displayName\",\"value\":\"Bob Baumeister\"},"
                    + "{\"op\":\"Replace\",\"path\":\"name.familyName\",\"value\":\"Baumeister\"},"
                    + "{\"op\":\"Replace\",\"path\":\"name.formatted\",\"value\":\"Bob Baumeister\"}]}");
        });
        assertThat(druva.users()).singleElement().satisfies(user -> {
            assertThat(user.familyName()).isEqualTo("Baumeister");
            assertThat(user.formattedName()).isEqualTo("Bob Baumeister");
        });
        assertThat(result.action()).isEqualTo(ProvisioningAction.Update);
        assertThat(result.status()).isEqualTo(ProvisioningStatus.Success);
        assertThat(result.modifiedProperties()).containsExactly(
                new ModifiedProperty("displayName", "Bob Builder", "Bob Baumeister"),
                new ModifiedProperty("name.familyName", "Builder", "Baumeister"),
                new ModifiedProperty("name.formatted", "Bob Builder", "Bob Baumeister"));
    }

    @Test
    void aGivenNameChangeOfAMatchedUserAlsoReplacesItsStaleFormattedName() {
        // Druva holds a user whose formatted name went stale (as the writer left it before it derived it on updates)
        ScimOperation seed = Fixtures.upsert(jobId, "obj-bab", Fixtures.user("bab", "Barbara", "Sammet"));
        KafkaTopics.publishOperation(seed);
        String id = KafkaTopics.awaitResult(resultId(seed)).targetId();
        patchDirectly(id, "{\"op\":\"replace\",\"path\":\"name.familyName\",\"value\":\"Sammet-Kovacs\"}");

        // another job finds her by the match and changes her given name
        String otherJob = unique("job");
        KafkaTopics.publishJob(Fixtures.job(otherJob, druva.baseUrl()));
        ScimOperation op = Fixtures.upsert(otherJob, "obj-bab", Fixtures.user("bab", "Babs", "Sammet-Kovacs"));
        KafkaTopics.publishOperation(op);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(op));

        assertThat(result.action()).isEqualTo(ProvisioningAction.Update);
        assertThat(result.modifiedProperties()).extracting(ModifiedProperty::name)
                .containsExactly("displayName", "name.givenName", "name.formatted");
        assertThat(druva.users()).singleElement().satisfies(user -> {
            assertThat(user.givenName()).isEqualTo("Babs");
            assertThat(user.formattedName()).isEqualTo("Babs Sammet-Kovacs");
        });
    }

    @Test
    void unchangedUserSendsNothingAndIsReportedAsSkippedWithNoChange() {
        ScimOperation create = Fixtures.upsert(jobId, "obj-cy", Fixtures.user("cy", "Cy", "Twombly"));
        KafkaTopics.publishOperation(create);
        KafkaTopics.awaitResult(resultId(create));
        int before = Sent.of(druva).size();

        ScimOperation same = Fixtures.upsert(jobId, "obj-cy", Fixtures.user("cy", "Cy", "Twombly"));
        KafkaTopics.publishOperation(same);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(same));

        assertThat(Sent.of(druva)).hasSize(before);
        assertThat(result.action()).isEqualTo(ProvisioningAction.Other);
        assertThat(result.status()).isEqualTo(ProvisioningStatus.Skipped);
        assertThat(result.errorCode()).isEqualTo("RedundantExport");
        assertThat(result.reason()).startsWith("no change");
    }

    @Test
    void redeliveredOperationIsNotAppliedTwiceAndItsResultIsEmittedAgain() {
        ScimOperation op = Fixtures.upsert(jobId, "obj-dee", Fixtures.user("dee", "Dee", "Dee"));
        KafkaTopics.publishOperation(op);
        ProvisioningResult first = KafkaTopics.awaitResult(resultId(op));
        int before = Sent.of(druva).size();

        KafkaTopics.publishOperation(op);
        List<ProvisioningResult> results = KafkaTopics.awaitResults(resultId(op), 2);

        assertThat(Sent.of(druva)).hasSize(before);
        assertThat(druva.users()).hasSize(1);
        assertThat(results).hasSize(2).allSatisfy(r -> assertThat(r).isEqualTo(first));
    }

    /**
     * Two mapper replicas during a rebalance (or a mapper redelivery after a crash) can both map an object's events:
     * the writer then gets two copies of its operations (the same ids and times, {@code OperationPlanner}), each copy
     * in order, interleaved; here the worst order, the earlier operation's second copy after the later one. Each
     * operation is applied once, the user ends in its latest state and both copies of each get the same result.
     */
    @Test
    void twoCopiesOfAUsersOperationsInterleavedAreAppliedOnceAndEndInItsLatestState() {
        ScimOperation create = Fixtures.upsert(jobId, "obj-fay", Fixtures.user("fay", "Fay", "Old"));
        ScimOperation update = Fixtures.upsert(jobId, "obj-fay", Fixtures.user("fay", "Fay", "New"));

        KafkaTopics.publishOperations(List.of(create, update, create, update));
        List<ProvisioningResult> created = KafkaTopics.awaitResults(resultId(create), 2);
        List<ProvisioningResult> updated = KafkaTopics.awaitResults(resultId(update), 2);

        assertThat(created).hasSize(2).allSatisfy(r -> assertThat(r).isEqualTo(created.get(0)));
        assertThat(updated).hasSize(2).allSatisfy(r -> assertThat(r).isEqualTo(updated.get(0)));
        assertThat(updated.get(0).action()).isEqualTo(ProvisioningAction.Update);
        assertThat(druva.users()).singleElement().satisfies(user -> assertThat(user.familyName()).isEqualTo("New"));
        assertThat(Sent.of(druva)).extracting(Sent::method).filteredOn(m -> !m.equals("GET"))
                .containsExactly("POST", "PATCH");
    }

    @Test
    void existingTargetUserIsLinkedAndOnlyItsDifferencesArePatched() {
        ScimOperation seed = Fixtures.upsert(jobId, "obj-seed", Fixtures.user("eve", "Eve", "Old"));
        KafkaTopics.publishOperation(seed);
        KafkaTopics.awaitResult(resultId(seed));
        int before = Sent.of(druva).size();

        // another source object with the same userName: matched, linked, patched; no second user
        ScimOperation op = Fixtures.upsert(jobId, "cycle-2", "obj-eve", Fixtures.user("eve", "Eve", "New"));
        KafkaTopics.publishOperation(op);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(op));

        List<Sent> sent = Sent.of(druva).subList(before, Sent.of(druva).size());
        assertThat(sent).extracting(Sent::method).containsExactly("GET", "PATCH");
        assertThat(druva.users()).hasSize(1);
        assertThat(result.action()).isEqualTo(ProvisioningAction.Update);
        assertThat(result.targetId()).isEqualTo(druva.users().get(0).id());
    }

    @Test
    void managedUserIsDisabledWithActiveFalseAsAString() {
        ScimOperation create = Fixtures.upsert(jobId, "obj-fay", Fixtures.user("fay", "Fay", "Wray"));
        KafkaTopics.publishOperation(create);
        KafkaTopics.awaitResult(resultId(create));
        int before = Sent.of(druva).size();

        ScimOperation disable = Fixtures.disable(jobId, "obj-fay", "NotEffectivelyEntitled", "unassigned");
        KafkaTopics.publishOperation(disable);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(disable));

        List<Sent> sent = Sent.of(druva).subList(before, Sent.of(druva).size());
        assertThat(sent).singleElement().satisfies(request -> {
            assertThat(request.method()).isEqualTo("PATCH");
            assertThat(request.body()).isEqualTo("{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
                    + "\"Operations\":[{\"op\":\"Replace\",\"path\":\"active\",\"value\":\"False\"}]}");
        });
        assertThat(druva.users()).singleElement().extracting(DruvaUser::active).isEqualTo(false);
        assertThat(result.action()).isEqualTo(ProvisioningAction.Disable);
        assertThat(result.status()).isEqualTo(ProvisioningStatus.Success);

        // disabled again (the next cycle): Druva already has it inactive, so nothing is sent and it is logged as an
        // object needing no change is, as Entra logs it: action Other, Skipped, RedundantExport
        ScimOperation again = Fixtures.disable(jobId, "obj-fay", "NotEffectivelyEntitled", "unassigned");
        KafkaTopics.publishOperation(again);
        ProvisioningResult redundant = KafkaTopics.awaitResult(resultId(again));
        assertThat(Sent.of(druva)).hasSize(before + 1);
        assertThat(redundant.action()).isEqualTo(ProvisioningAction.Other);
        assertThat(redundant.status()).isEqualTo(ProvisioningStatus.Skipped);
        assertThat(redundant.errorCode()).isEqualTo("RedundantExport");
        assertThat(redundant.reason()).isEqualTo("no change: the Druva user is already inactive");
    }

    @Test
    void disablingAUserNeverProvisionedSendsNothingAndIsASkippedCreateWithTheOperationsReason() {
        ScimOperation disable = Fixtures.disable(jobId, "obj-ghost", "NotEffectivelyEntitled", "only Default Access");

        KafkaTopics.publishOperation(disable);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(disable));

        // Entra logs a user out of scope that was never created as a skipped Create with the skip reason
        assertThat(Sent.of(druva)).isEmpty();
        assertThat(result.action()).isEqualTo(ProvisioningAction.Create);
        assertThat(result.status()).isEqualTo(ProvisioningStatus.Skipped);
        assertThat(result.errorCode()).isEqualTo("NotEffectivelyEntitled");
        assertThat(result.reason()).isEqualTo("not provisioned: only Default Access; the target has no such user");
    }

    @Test
    void managedUserIsDeletedAndLaterDeletesSendNothing() {
        ScimOperation create = Fixtures.upsert(jobId, "obj-gus", Fixtures.user("gus", "Gus", "Grissom"));
        KafkaTopics.publishOperation(create);
        String id = KafkaTopics.awaitResult(resultId(create)).targetId();
        int before = Sent.of(druva).size();

        ScimOperation delete = Fixtures.delete(jobId, "obj-gus");
        KafkaTopics.publishOperation(delete);
        ProvisioningResult deleted = KafkaTopics.awaitResult(resultId(delete));
        ScimOperation again = Fixtures.delete(jobId, "obj-gus");
        KafkaTopics.publishOperation(again);
        ProvisioningResult skipped = KafkaTopics.awaitResult(resultId(again));

        List<Sent> sent = Sent.of(druva).subList(before, Sent.of(druva).size());
        assertThat(sent).extracting(Sent::method, Sent::path)
                .containsExactly(tuple("DELETE", "/Users/" + id));
        assertThat(druva.users()).isEmpty();
        assertThat(deleted.action()).isEqualTo(ProvisioningAction.Delete);
        assertThat(deleted.status()).isEqualTo(ProvisioningStatus.Success);
        // source and target already agree: nothing changed
        assertThat(skipped.action()).isEqualTo(ProvisioningAction.Other);
        assertThat(skipped.status()).isEqualTo(ProvisioningStatus.Skipped);
        assertThat(skipped.errorCode()).isEqualTo(again.reasonCode());
    }

    @Test
    void transientFailuresAreRetriedHonouringRetryAfter() {
        druva.failNext(503, -1);
        druva.failNext(429, 1);
        ScimOperation op = Fixtures.upsert(jobId, "obj-hal", Fixtures.user("hal", "Hal", "Nine"));

        KafkaTopics.publishOperation(op);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(op));

        assertThat(Sent.of(druva)).extracting(Sent::method, Sent::status)
                .containsExactly(tuple("GET", 503), tuple("GET", 429), tuple("GET", 200), tuple("POST", 201));
        assertThat(result.status()).isEqualTo(ProvisioningStatus.Success);
        assertThat(result.durationMillis()).isGreaterThanOrEqualTo(1000);
    }

    @Test
    void aWrongTokenFailsAtOnceWithInvalidCredentials() {
        String otherJob = unique("job");
        try (DruvaScimServer strict = DruvaScimServer
                .start(DruvaScimServer.Options.defaults().token("another-token"))) {
            KafkaTopics.publishJob(Fixtures.job(otherJob, strict.baseUrl()));
            ScimOperation op = Fixtures.upsert(otherJob, "obj-ivy", Fixtures.user("ivy", "Ivy", "Stone"));

            KafkaTopics.publishOperation(op);
            ProvisioningResult result = KafkaTopics.awaitResult(resultId(op));

            assertThat(Sent.of(strict)).hasSize(1);
            assertThat(result.status()).isEqualTo(ProvisioningStatus.Failure);
            assertThat(result.errorCode()).isEqualTo("InvalidCredentials");
            assertThat(result.httpStatus()).isEqualTo(401);
            assertThat(result.reason()).doesNotContain(Fixtures.TOKEN + "\"").doesNotContain("Bearer")
                    .contains("held, and sent again once the job's token changes or the job is started again");
        }
    }

    @Test
    void operationsOfAnUnknownUserAttributeAreCreatedWithoutNulls() {
        Map<String, Object> attributes = Fixtures.user("jo", "Jo", "March");
        attributes.remove("displayName");
        ScimOperation op = Fixtures.upsert(jobId, "obj-jo", attributes);

        KafkaTopics.publishOperation(op);
        KafkaTopics.awaitResult(resultId(op));

        assertThat(Sent.of(druva).get(1).body()).doesNotContain("null").doesNotContain("displayName");
    }

    @Test
    void aCachedIdThatNoLongerExistsIsDroppedAndTheUserMatchedAndCreatedAgain() throws Exception {
        ScimOperation create = Fixtures.upsert(jobId, "obj-kay", Fixtures.user("kay", "Kay", "Old"));
        KafkaTopics.publishOperation(create);
        String oldId = KafkaTopics.awaitResult(resultId(create)).targetId();
        deleteDirectly(oldId);
        int before = Sent.of(druva).size();

        ScimOperation update = Fixtures.upsert(jobId, "obj-kay", Fixtures.user("kay", "Kay", "New"));
        KafkaTopics.publishOperation(update);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(update));

        List<Sent> sent = Sent.of(druva).subList(before, Sent.of(druva).size());
        assertThat(sent).extracting(Sent::method, Sent::status)
                .containsExactly(tuple("PATCH", 404), tuple("GET", 200), tuple("POST", 201));
        assertThat(druva.users()).singleElement().satisfies(user -> {
            assertThat(user.id()).isNotEqualTo(oldId);
            assertThat(user.familyName()).isEqualTo("New");
        });
        assertThat(result.action()).isEqualTo(ProvisioningAction.Create);
        assertThat(result.targetId()).isEqualTo(druva.users().get(0).id());
    }

    @Test
    void createSwitchedOffForTheJobIsSkippedAfterTheMatch() {
        String strictJob = unique("job");
        KafkaTopics.publishJob(Fixtures.job(strictJob, druva.baseUrl(), new TargetObjectActions(false, true, true)));
        ScimOperation op = Fixtures.upsert(strictJob, "obj-lee", Fixtures.user("lee", "Lee", "Marvin"));

        KafkaTopics.publishOperation(op);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(op));

        assertThat(Sent.of(druva)).extracting(Sent::method).containsExactly("GET");
        assertThat(druva.users()).isEmpty();
        assertThat(result.action()).isEqualTo(ProvisioningAction.Create);
        assertThat(result.status()).isEqualTo(ProvisioningStatus.Skipped);
        assertThat(result.errorCode()).isEqualTo("ActionDisabledByJob");
    }

    @Test
    void aConflictOnCreateIsResolvedByMatchingAgainOnUserNameAndLinking() {
        ScimOperation seed = Fixtures.upsert(jobId, "obj-nia-old", Fixtures.user("nia", "Nia", "Long"));
        KafkaTopics.publishOperation(seed);
        String id = KafkaTopics.awaitResult(resultId(seed)).targetId();
        int before = Sent.of(druva).size();

        // matched on externalId only, which Druva does not know: the create conflicts on userName
        Map<String, Object> attributes = Fixtures.user("nia", "Nia", "Short");
        attributes.put("externalId", "nia-2");
        ScimOperation base = Fixtures.upsert(jobId, "cycle-2", "obj-nia", attributes);
        ScimOperation op = new ScimOperation(base.schemaVersion(), base.operationId(), base.jobId(), base.cycleId(),
                base.objectType(), base.objectId(), base.displayName(), base.kind(), base.attributes(), Map.of(),
                List.of(new MatchingAttribute("externalId", "nia-2", 1)), List.of(), null, null, base.createdAt());
        KafkaTopics.publishOperation(op);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(op));

        List<Sent> sent = Sent.of(druva).subList(before, Sent.of(druva).size());
        assertThat(sent).extracting(Sent::method, Sent::status)
                .containsExactly(tuple("GET", 200), tuple("POST", 409), tuple("GET", 200), tuple("GET", 200),
                        tuple("PATCH", 200));
        assertThat(druva.users()).singleElement().extracting(DruvaUser::familyName).isEqualTo("Short");
        assertThat(result.action()).isEqualTo(ProvisioningAction.Update);
        assertThat(result.targetId()).isEqualTo(id);
    }

    /** Changes a user behind the writer's back, over SCIM, as an administrator would in Druva. */
    private void patchDirectly(String id, String operation) {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder()
                    .uri(URI.create(druva.baseUrl() + "/Users/" + id))
                    .header("Authorization", "Bearer " + Fixtures.TOKEN)
                    .header("Content-Type", "application/scim+json")
                    .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"schemas\":"
                            + "[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[" + operation
                            + "]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Removes a user behind the writer's back, over SCIM, as an administrator would in Druva. */
    private void deleteDirectly(String id) throws Exception {
        HttpResponse<Void> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder()
                .uri(URI.create(druva.baseUrl() + "/Users/" + id))
                .header("Authorization", "Bearer " + Fixtures.TOKEN)
                .DELETE()
                .build(), HttpResponse.BodyHandlers.discarding());
        assertThat(response.statusCode()).isEqualTo(204);
    }
}
