package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.resultId;
import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

import dev.provisioning.druva.DruvaGroup;
import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.druva.DruvaUser;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.OperationKind;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.PatchDialect;
import dev.provisioning.events.job.TargetObjectActions;
import dev.provisioning.writer.Waits;

/**
 * Groups against the Druva-compatible server: created without members, members added and removed with PATCH in
 * chunks of {@code writer.group-member-chunk-size} (50), renamed with Replace displayName, deleted.
 */
@QuarkusTest
class GroupProvisioningTest {

    /** A member in a PATCH body: {@code {"value":"id"}}. */
    private static final Pattern MEMBER_VALUE = Pattern.compile("\\{\"value\":\"([^\"]+)\"}");

    private DruvaScimServer druva;
    private String jobId;

    @BeforeEach
    void start() {
        druva = DruvaScimServer.start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN));
        jobId = unique("job");
        KafkaTopics.publishJob(Fixtures.job(jobId, druva.baseUrl()));
    }

    @AfterEach
    void stop() {
        druva.close();
    }

    private List<String> provisionUsers(int count) {
        List<ScimOperation> ops = new ArrayList<>();
        IntStream.range(0, count).forEach(i -> ops.add(
                Fixtures.upsert(jobId, "u" + i, Fixtures.user("member" + i, "Member", "N" + i))));
        ops.forEach(KafkaTopics::publishOperation);
        // one read of the results topic for all of them, not one consumer per user
        var results = KafkaTopics.awaitAllResults(ops.stream().map(op -> resultId(op)).toList(),
                dev.provisioning.writer.Waits.OUTCOME);
        assertThat(results.values()).hasSize(count)
                .allSatisfy(r -> assertThat(r.status()).isEqualTo(ProvisioningStatus.Success));
        return IntStream.range(0, count).mapToObj(i -> "u" + i).toList();
    }

    @Test
    void groupIsCreatedWithoutMembersThenMembersAreAddedInChunksOfFifty() {
        List<String> members = new ArrayList<>(provisionUsers(120));
        members.add("u-not-provisioned");
        int before = Sent.of(druva).size();

        ScimOperation op = Fixtures.group(jobId, "cycle-1", "grp-eng", "Engineering", members);
        KafkaTopics.publishOperation(op);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(op));

        List<Sent> sent = Sent.of(druva).subList(before, Sent.of(druva).size());
        assertThat(sent).extracting(Sent::method, Sent::path, Sent::status).containsExactly(
                tuple("GET", "/Groups", 200), tuple("POST", "/Groups", 201),
                tuple("PATCH", "/Groups/" + result.targetId(), 204),
                tuple("PATCH", "/Groups/" + result.targetId(), 204),
                tuple("PATCH", "/Groups/" + result.targetId(), 204));
        assertThat(sent.get(0).query()).isEqualTo("filter=displayName eq \"Engineering\"&excludedAttributes=members");
        assertThat(sent.get(1).body()).isEqualTo("{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],"
                + "\"displayName\":\"Engineering\",\"externalId\":\"grp-eng\"}");
        Map<String, String> ids = new java.util.HashMap<>();
        druva.users().forEach(u -> ids.put(u.externalId(), u.id()));
        assertThat(sent.get(2).body()).startsWith("{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
                + "\"Operations\":[{\"op\":\"Add\",\"path\":\"members\",\"value\":[{\"value\":\"" + ids.get("member0")
                + "\"},{\"value\":\"" + ids.get("member1") + "\"}");
        assertThat(sent.get(2).body().split("\"value\":\"")).hasSize(51);
        assertThat(sent.get(4).body().split("\"value\":\"")).hasSize(21);
        assertThat(druva.groups()).singleElement().satisfies(group -> {
            assertThat(group.displayName()).isEqualTo("Engineering");
            assertThat(group.memberIds()).hasSize(120)
                    .containsExactlyInAnyOrderElementsOf(druva.users().stream().map(DruvaUser::id).toList());
        });
        assertThat(result.action()).isEqualTo(ProvisioningAction.Create);
        assertThat(result.status()).isEqualTo(ProvisioningStatus.Success);
        assertThat(result.httpStatus()).as("a Create reports the POST's answer, as a user's does, not the last PATCH's")
                .isEqualTo(201);
    }

    @Test
    void aGroupOfMoreChunksThanOneSaveHoldsKeepsEveryMemberAndALaterCycleSendsOnlyTheChange() {
        // 1,010 members: 21 Add chunks, more than the writer sends between two saves of the group's members
        List<String> members = provisionUsers(1_010);
        ScimOperation create = Fixtures.group(jobId, "cycle-1", "grp-all", "Everyone", members);
        KafkaTopics.publishOperation(create);
        ProvisioningResult created = KafkaTopics.awaitResult(resultId(create));
        assertThat(created.status()).isEqualTo(ProvisioningStatus.Success);
        assertThat(druva.groups()).singleElement().satisfies(g -> assertThat(g.memberIds()).hasSize(1_010));
        int before = Sent.of(druva).size();

        // the saved members are complete: the same members send nothing, ten fewer send one Remove
        ScimOperation same = Fixtures.group(jobId, "cycle-2", "grp-all", "Everyone", members);
        KafkaTopics.publishOperation(same);
        assertThat(KafkaTopics.awaitResult(resultId(same)).status()).isEqualTo(ProvisioningStatus.Skipped);
        ScimOperation fewer = Fixtures.group(jobId, "cycle-3", "grp-all", "Everyone", members.subList(10, 1_010));
        KafkaTopics.publishOperation(fewer);
        assertThat(KafkaTopics.awaitResult(resultId(fewer)).action()).isEqualTo(ProvisioningAction.Update);

        List<Sent> sent = Sent.of(druva).subList(before, Sent.of(druva).size());
        assertThat(sent).extracting(Sent::method).containsExactly("PATCH");
        assertThat(sent.get(0).body()).contains("\"op\":\"Remove\"");
        assertThat(druva.groups()).singleElement().satisfies(g -> assertThat(g.memberIds()).hasSize(1_000));
    }

    /**
     * A chunk of a big group's members fails partway: Druva answers 503 to the third of five {@code Add} chunks for
     * longer than the request's retries. The operation is escrowed (a Failure with its retry time) with the two chunks
     * Druva accepted recorded in the group's link, and its scheduled retry sends only the three chunks left. Druva ends
     * with exactly the 250 members, each added by one accepted chunk, and the follow-up is a Success.
     */
    @Test
    void aBigGroupsChunkFailingPartwayIsRetriedFromWhereItStoppedAndItsMembersEndExact() {
        List<String> members = provisionUsers(250);
        int before = Sent.of(druva).size();
        druva.settings(s -> s.latency(Duration.ofMillis(100)));
        druva.hold();
        ScimOperation create = Fixtures.group(jobId, "cycle-1", "grp-big", "Big", members);
        KafkaTopics.publishOperation(create);

        // one request at a time (each answers 100 ms after its release) until the second Add chunk is parked
        for (int passed = 0;; passed++) {
            int arrived = passed + 1;
            await().atMost(Waits.OUTCOME)
                    .until(() -> druva.parked() == 1 && Sent.of(druva).size() - before == arrived);
            if (sentSince(before).stream().filter(r -> r.method().equals("PATCH")).count() == 2) {
                break;
            }
            druva.release();
            druva.hold();
        }
        // past the injected answers already: the third chunk gets them, more than its request's retries
        IntStream.range(0, 16).forEach(i -> druva.failNext(503, -1));
        druva.release();

        ProvisioningResult escrowed = KafkaTopics.awaitResult(resultId(create));
        assertThat(escrowed.status()).isEqualTo(ProvisioningStatus.Failure);
        assertThat(escrowed.retryAt()).isNotNull();
        ProvisioningResult retried = KafkaTopics.awaitResult(ProvisioningResult.followUpIdOf(escrowed.resultId()));
        assertThat(retried.status()).isEqualTo(ProvisioningStatus.Success);

        List<String> userIds = druva.users().stream().map(DruvaUser::id).toList();
        assertThat(druva.groups()).singleElement()
                .satisfies(g -> assertThat(g.memberIds()).containsExactlyInAnyOrderElementsOf(userIds));
        List<Sent> accepted = sentSince(before).stream()
                .filter(r -> r.method().equals("PATCH") && r.status() == 204).toList();
        assertThat(accepted).as("two chunks, then the three left").hasSize(5);
        List<String> added = accepted.stream().flatMap(r -> MEMBER_VALUE.matcher(r.body()).results())
                .map(m -> m.group(1)).toList();
        assertThat(added).as("each member added once").containsExactlyInAnyOrderElementsOf(userIds);
    }

    private List<Sent> sentSince(int before) {
        List<Sent> all = Sent.of(druva);
        return all.subList(before, all.size());
    }

    @Test
    void renamedGroupWithChangedMembersGetsReplaceDisplayNameThenAddAndRemove() {
        provisionUsers(3);
        ScimOperation create = Fixtures.group(jobId, "cycle-1", "grp-ops", "Ops", List.of("u0", "u1"));
        KafkaTopics.publishOperation(create);
        String groupId = KafkaTopics.awaitResult(resultId(create)).targetId();
        int before = Sent.of(druva).size();

        ScimOperation change = Fixtures.group(jobId, "cycle-2", "grp-ops", "Operations", List.of("u1", "u2"));
        KafkaTopics.publishOperation(change);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(change));

        Map<String, String> ids = new java.util.HashMap<>();
        druva.users().forEach(u -> ids.put(u.externalId(), u.id()));
        List<Sent> sent = Sent.of(druva).subList(before, Sent.of(druva).size());
        assertThat(sent).extracting(Sent::method, Sent::path, Sent::body).containsExactly(
                tuple("PATCH", "/Groups/" + groupId, "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
                        + "\"Operations\":[{\"op\":\"Replace\",\"path\":\"displayName\",\"value\":\"Operations\"}]}"),
                tuple("PATCH", "/Groups/" + groupId, "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
                        + "\"Operations\":[{\"op\":\"Add\",\"path\":\"members\",\"value\":[{\"value\":\""
                        + ids.get("member2") + "\"}]}]}"),
                tuple("PATCH", "/Groups/" + groupId, "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
                        + "\"Operations\":[{\"op\":\"Remove\",\"path\":\"members\",\"value\":[{\"value\":\""
                        + ids.get("member0") + "\"}]}]}"));
        assertThat(druva.groups()).singleElement().satisfies(group -> {
            assertThat(group.displayName()).isEqualTo("Operations");
            assertThat(group.memberIds()).containsExactlyInAnyOrder(ids.get("member1"), ids.get("member2"));
        });
        assertThat(result.action()).isEqualTo(ProvisioningAction.Update);
    }

    @Test
    void deletedGroupIsDeletedOnceAndAnUnchangedGroupSendsNothing() {
        ScimOperation create = Fixtures.group(jobId, "cycle-1", "grp-tmp", "Temp", List.of());
        KafkaTopics.publishOperation(create);
        String groupId = KafkaTopics.awaitResult(resultId(create)).targetId();
        int before = Sent.of(druva).size();

        ScimOperation same = Fixtures.group(jobId, "cycle-2", "grp-tmp", "Temp", List.of());
        KafkaTopics.publishOperation(same);
        ProvisioningResult unchanged = KafkaTopics.awaitResult(resultId(same));
        ScimOperation delete = Fixtures.deleteGroup(jobId, "grp-tmp");
        KafkaTopics.publishOperation(delete);
        ProvisioningResult deleted = KafkaTopics.awaitResult(resultId(delete));

        assertThat(Sent.of(druva).subList(before, Sent.of(druva).size()))
                .extracting(Sent::method, Sent::path, Sent::status)
                .containsExactly(tuple("DELETE", "/Groups/" + groupId, 204));
        assertThat(unchanged.status()).isEqualTo(ProvisioningStatus.Skipped);
        assertThat(unchanged.errorCode()).isEqualTo("RedundantExport");
        assertThat(deleted.action()).isEqualTo(ProvisioningAction.Delete);
        assertThat(deleted.status()).isEqualTo(ProvisioningStatus.Success);
        assertThat(druva.groups()).extracting(DruvaGroup::id).doesNotContain(groupId);
    }

    /** The demo's "Contractors": assigned only with Default Access, so never created; its delete is logged as Entra does. */
    @Test
    void aGroupNeverCreatedAndOutOfScopeIsASkippedCreateNotEffectivelyEntitled() {
        ScimOperation op = new ScimOperation(ScimOperation.SCHEMA_VERSION, unique("op"), jobId, "cycle-3",
                ObjectType.GROUP, "grp-contractors", "Contractors", OperationKind.DELETE, Map.of(), Map.of(), List.of(),
                List.of(), "NotEffectivelyEntitled", "not effectively entitled: the only assignment is Default Access",
                Instant.now());
        int before = Sent.of(druva).size();

        KafkaTopics.publishOperation(op);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(op));

        assertThat(Sent.of(druva)).hasSize(before);
        assertThat(result.action()).isEqualTo(ProvisioningAction.Create);
        assertThat(result.status()).isEqualTo(ProvisioningStatus.Skipped);
        assertThat(result.errorCode()).isEqualTo("NotEffectivelyEntitled");
        assertThat(result.reason()).isEqualTo("not provisioned: not effectively entitled: the only assignment is "
                + "Default Access; the target has no such group");
    }

    @Test
    void withTheRfcStrictDialectMembersAreRemovedOneByOneByAValueFilterWithoutAValue() {
        // the field case 05-rfc-strict-member-remove: Entra's aadOptscim062020 behaviour, RFC 7644 section 3.5.2.2
        String strictJob = unique("job");
        KafkaTopics.publishJob(Fixtures.job(strictJob, druva.baseUrl(), Fixtures.TOKEN, JobState.ACTIVE,
                PatchDialect.RFC_STRICT, TargetObjectActions.ALL, 1));
        List<ScimOperation> users = new ArrayList<>();
        IntStream.range(0, 3).forEach(i -> users.add(
                Fixtures.upsert(strictJob, "r" + i, Fixtures.user("strict" + i, "Strict", "N" + i))));
        users.forEach(KafkaTopics::publishOperation);
        KafkaTopics.awaitAllResults(users.stream().map(Fixtures::resultId).toList(), Waits.OUTCOME);
        ScimOperation create = Fixtures.group(strictJob, "cycle-1", "grp-strict", "Strict", List.of("r0", "r1", "r2"));
        KafkaTopics.publishOperation(create);
        String groupId = KafkaTopics.awaitResult(resultId(create)).targetId();
        Map<String, String> ids = new java.util.HashMap<>();
        druva.users().forEach(u -> ids.put(u.externalId(), u.id()));
        int before = Sent.of(druva).size();

        ScimOperation change = Fixtures.group(strictJob, "cycle-2", "grp-strict", "Strict", List.of("r1"));
        KafkaTopics.publishOperation(change);
        ProvisioningResult result = KafkaTopics.awaitResult(resultId(change));

        List<Sent> sent = Sent.of(druva).subList(before, Sent.of(druva).size());
        assertThat(sent).extracting(Sent::method, Sent::path, Sent::body, Sent::status).containsExactly(
                tuple("PATCH", "/Groups/" + groupId, "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
                        + "\"Operations\":[{\"op\":\"remove\",\"path\":\"members[value eq \\\"" + ids.get("strict0")
                        + "\\\"]\"},{\"op\":\"remove\",\"path\":\"members[value eq \\\"" + ids.get("strict2")
                        + "\\\"]\"}]}", 204));
        assertThat(druva.groups()).filteredOn(g -> g.id().equals(groupId)).singleElement()
                .satisfies(group -> assertThat(group.memberIds()).containsExactly(ids.get("strict1")));
        assertThat(result.action()).isEqualTo(ProvisioningAction.Update);
        assertThat(result.status()).isEqualTo(ProvisioningStatus.Success);
    }
}
