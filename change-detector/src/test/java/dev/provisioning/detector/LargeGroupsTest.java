package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.create;
import static dev.provisioning.detector.TestJobs.job;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/**
 * A group larger than Kafka's default record limit (1 MiB, about 25,000 direct members) is sent whole: the 100,000-user
 * benchmark's largest group (50,000 members, 1.9 MB) failed the whole cycle with {@code RecordTooLargeException}.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class LargeGroupsTest {

    static final int MEMBERS = 30_000;
    static TopicClient kafka;

    @BeforeAll
    static void connect() {
        kafka = new TopicClient(LocalStackTestResource.stack().kafka().bootstrapServers());
    }

    @AfterAll
    static void disconnect() {
        kafka.close();
    }

    @Test
    void aGroupOfThirtyThousandMembersReachesTheMapperWhole(@TempDir Path dir) throws Exception {
        List<String> ids = IntStream.range(0, MEMBERS).mapToObj(i -> UUID.randomUUID().toString()).toList();
        StringBuilder users = new StringBuilder();
        for (int i = 0; i < MEMBERS; i++) {
            users.append(i == 0 ? "" : ",").append("""
                    {"id": "%s", "userPrincipalName": "u%d@x.test", "mail": "u%d@x.test", "displayName": "U %d",
                     "accountEnabled": true}""".formatted(ids.get(i), i, i, i));
        }
        String groupId = UUID.randomUUID().toString();
        String members = String.join("\",\"", ids);
        Path file = dir.resolve("directory.json");
        Files.writeString(file, "{\"users\": [" + users + "], \"groups\": [{\"id\": \"" + groupId
                + "\", \"displayName\": \"Everyone\", \"members\": [\"" + members + "\"]}], \"assignments\": ["
                + "{\"principalId\": \"" + groupId + "\", \"principalType\": \"Group\", \"appRoleId\": \"r1\"}]}");
        String jobId = create(job(file, "On", "large-groups-token"));

        // the cycle emits every user and the group, and does not fail
        await().atMost(Waits.OUTCOME).untilAsserted(() -> assertThat(given().get("/jobs/" + jobId + "/status")
                .then().statusCode(200).extract().<Integer>path("currentCycle.eventsEmitted"))
                .isEqualTo(MEMBERS + 1));
        assertThat(given().get("/jobs/" + jobId + "/status").then().extract().<String>path("currentCycle.status"))
                .isNotEqualTo("FAILED");
        List<ConsumerRecord<String, String>> group = kafka.read(Topics.ASSIGNMENTS,
                r -> (jobId + "/" + groupId).equals(r.key()), 1, Waits.OUTCOME);
        assertThat(group).hasSize(1);
        assertThat(group.get(0).value().getBytes(StandardCharsets.UTF_8).length).isGreaterThan(1024 * 1024);
        AssignmentEvent event = EventChecks.assignment(group.get(0).value());
        assertThat(event.objectType()).isEqualTo(ObjectType.GROUP);
        // the same members, each once: compared sorted (AssertJ's containsExactlyInAnyOrder is quadratic)
        assertThat(event.members().stream().sorted().toList()).isEqualTo(ids.stream().sorted().toList());
    }
}
