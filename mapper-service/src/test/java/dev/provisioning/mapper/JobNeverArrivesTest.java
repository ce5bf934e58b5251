package dev.provisioning.mapper;

import static dev.provisioning.mapper.MapperServiceTest.awaitDeadLettered;
import static dev.provisioning.mapper.MapperServiceTest.event;
import static dev.provisioning.mapper.MapperServiceTest.reason;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.provisioning.events.Assignment;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/**
 * Records whose job's configuration never arrives within {@code mapper.job-wait-timeout}: each is answered with a
 * Failure {@code JobConfigurationInvalid} and dead-lettered with the reason, however many there are. These tests wait
 * the whole timeout, so they run with a short one ({@link ShortJobWait}, 5 s); the other classes keep the test
 * profile's 20 s, since there a job that is published does arrive, and a busy machine may take a while to read it.
 */
@QuarkusTest
@TestProfile(JobNeverArrivesTest.ShortJobWait.class)
@QuarkusTestResource(LocalStackTestResource.class)
class JobNeverArrivesTest {

    /** {@code mapper.job-wait-timeout} in this class. */
    static final Duration JOB_WAIT = Duration.ofSeconds(5);

    /** A short wait for a job's configuration; no job these tests' records name ever arrives. */
    public static class ShortJobWait implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("mapper.job-wait-timeout", JOB_WAIT.toSeconds() + "s");
        }
    }

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    static TopicClient kafka;

    @BeforeAll
    static void connect() {
        kafka = new TopicClient(LocalStackTestResource.stack().kafka().bootstrapServers());
    }

    @AfterAll
    static void disconnect() {
        kafka.close();
    }

    /**
     * A record whose job's configuration never arrives is answered with a Failure (so the cycle that sent it is not
     * held) and dead-lettered with the reason once the wait is over.
     */
    @Test
    void aRecordWhoseJobNeverArrivesIsAnsweredWithAFailureAndDeadLetteredWithTheReason() {
        String never = "job-" + UUID.randomUUID();
        AssignmentEvent event = event(never, "u9", Map.of("userPrincipalName", "i@x.test", "mail", "i@x.test",
                "accountEnabled", true), List.of(new Assignment("r", null)));

        kafka.send(Topics.ASSIGNMENTS, event.key(), Json.write(event));

        List<ConsumerRecord<String, String>> dead = kafka.read(Topics.deadLetter(Topics.ASSIGNMENTS),
                r -> event.key().equals(r.key()), 1, Waits.OUTCOME);
        assertThat(dead).singleElement().satisfies(r -> assertThat(reason(r))
                .isEqualTo("the configuration of job " + never + " was not received within " + JOB_WAIT));
        var results = kafka.read(Topics.RESULTS, r -> r.key().startsWith(never + "/"), 1, Waits.OUTCOME);
        assertThat(results).singleElement().extracting(r -> EventChecks.result(r.value())).satisfies(r -> {
            assertThat(r.status()).isEqualTo(ProvisioningStatus.Failure);
            assertThat(r.errorCode()).isEqualTo("JobConfigurationInvalid");
            assertThat(r.eventId()).isEqualTo(event.eventId());
        });
        awaitDeadLettered(metrics, never, "JobNeverConfigured", "1.0");
    }

    /**
     * More records of a never-configured job than the results emitter holds at once (its buffer of 128 plus the Kafka
     * sink's 1,024 in flight): when the wait ends, every one is still answered with exactly one Failure and
     * dead-lettered. Given up all at once, the sends beyond the emitter's room failed, so those records were
     * dead-lettered without their Failure and the detector's cycle waited for them for ever. A record's Failure is
     * acked before the record is dead-lettered, so once every record is on the dead-letter topic every Failure that will
     * ever come is on the results topic.
     */
    @Test
    void everyRecordOfAJobThatNeverArrivesIsAnsweredEvenWhenThereAreMoreThanItsResultsEmitterHolds() {
        String never = "job-" + UUID.randomUUID();
        int count = 2_000;
        List<AssignmentEvent> events = IntStream.range(0, count).mapToObj(i -> event(never, "u" + i, Map.of(
                "userPrincipalName", i + "@x.test", "mail", i + "@x.test", "accountEnabled", true),
                List.of(new Assignment("r", null)))).toList();

        kafka.sendAll(Topics.ASSIGNMENTS, events.stream().map(e -> Map.entry(e.key(), Json.write(e))).toList());

        List<ConsumerRecord<String, String>> dead = kafka.read(Topics.deadLetter(Topics.ASSIGNMENTS),
                r -> r.key().startsWith(never + "/"), count, Waits.OUTCOME);
        assertThat(dead).extracting(ConsumerRecord::key)
                .containsExactlyInAnyOrderElementsOf(events.stream().map(AssignmentEvent::key).toList());
        List<ProvisioningResult> answers = kafka.readAll(Topics.RESULTS, r -> r.key().startsWith(never + "/")).stream()
                .map(r -> EventChecks.result(r.value())).toList();
        assertThat(answers).as("one Failure per record").extracting(ProvisioningResult::eventId)
                .containsExactlyInAnyOrderElementsOf(events.stream().map(AssignmentEvent::eventId).toList());
        assertThat(answers).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(ProvisioningStatus.Failure);
            assertThat(r.errorCode()).isEqualTo("JobConfigurationInvalid");
        });
        awaitDeadLettered(metrics, never, "JobNeverConfigured", count + ".0");
    }
}
