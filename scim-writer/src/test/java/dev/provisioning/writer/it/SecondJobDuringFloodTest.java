package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.druva.DruvaUser;
import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.Topics;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobDirectory;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.PatchDialect;
import dev.provisioning.events.job.TargetObjectActions;
import dev.provisioning.writer.Waits;
import dev.provisioning.writer.lanes.Lanes;
import dev.provisioning.writer.messaging.OperationsPartitions;
import dev.provisioning.writer.throughput.TenantGates;

/**
 * The trade-off of keeping a flood in its lane (issue 13): while one tenant's job is the only one on, its lane keeps
 * operations beyond its rooms and the stream waits in Kafka behind them (the admission limit); once a second tenant's
 * job is switched on, no record of that job waits behind the flood (issue 12: one job's trouble never delays another
 * job). Here job A floods 1,200 new users (only A on, B paused: A's lane holds more than its
 * {@code records-per-tenant}), then B is started and its 20 new users are published behind the rest of A's flood, on
 * the same partition: all of B's are stored at B's Druva before A carried out as many more operations as the writer
 * holds at most ({@code max-records}), that is without waiting for A's records still in Kafka ahead of B's (the rest
 * of the flood is deferred instead); in the end every user of A and of B is at its Druva exactly once (one create
 * each), every operation with a Success result. With the lane keeping regardless of B's job (no
 * {@code TenantGates.soleActiveTenant}), A carried out about 1,000 more operations before B's users were all stored
 * (2,000 users at 100 requests/s); with it, about 50 here.
 */
@QuarkusTest
@TestProfile(SecondJobDuringFloodTest.OneJobOn.class)
class SecondJobDuringFloodTest {

    private static final int FLOOD = 1_200;
    /** The first operations of the flood: they give its lane a pace before the rest arrives. */
    private static final int WARM_UP = 100;
    private static final int SECOND = 20;
    private static final int MAX_RECORDS = 400;
    private static final int RECORDS_PER_TENANT = 200;
    /** The partition of {@code provisioning.operations} that every operation of the test is on. */
    private static final int PARTITION = 0;
    private static final String JOBS_TOPIC = "provisioning.jobs.second-job-during-flood";

    /**
     * Small lanes (admission limit 400, a lane holds 200, 8 objects at once) and 50 requests/s a tenant, so the flood
     * takes 24 s or more. A jobs topic of its own: on the shared broker, {@code provisioning.jobs} holds the jobs of
     * every other test class, all on, and with them A would never be the only tenant with a job on.
     */
    public static class OneJobOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("mp.messaging.incoming.jobs.topic", JOBS_TOPIC,
                    "writer.lanes.max-records", String.valueOf(MAX_RECORDS),
                    "writer.lanes.records-per-tenant", String.valueOf(RECORDS_PER_TENANT),
                    "writer.concurrency.objects", "8", "writer.rate-limit.per-second", "50");
        }
    }

    @Inject
    Lanes lanes;

    @Inject
    JobDirectory jobs;

    @Test
    void aSecondJobSwitchedOnDuringAFloodHasItsUsersStoredBeforeTheFloodIsDoneAndNothingIsLostOrDoubled() {
        try (DruvaScimServer floodDruva = DruvaScimServer
                .start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN));
                DruvaScimServer secondDruva = DruvaScimServer
                        .start(DruvaScimServer.Options.defaults().token(Fixtures.TOKEN))) {
            String floodJob = unique("job-flood");
            String secondJob = unique("job-second");
            publishJob(job(floodJob, floodDruva, JobState.ACTIVE, 1));
            publishJob(job(secondJob, secondDruva, JobState.PAUSED, 1));
            List<ScimOperation> flood = users(floodJob, "a", FLOOD);
            List<ScimOperation> second = users(secondJob, "b", SECOND);
            await().atMost(Waits.OUTCOME).until(() -> jobs.find(floodJob).isPresent()
                    && jobs.find(secondJob).isPresent());

            // the flood: a first part gives its lane a pace, the rest arrives at once, as an initial sync's
            KafkaTopics.publishOperations(flood.subList(0, WARM_UP));
            await().atMost(Waits.OUTCOME).until(() -> floodDruva.users().size() >= WARM_UP / 5);
            KafkaTopics.publishOperations(flood.subList(WARM_UP, FLOOD));
            String floodTenant = TenantGates.tenantKey(floodDruva.baseUrl());
            await().atMost(Waits.OUTCOME).pollInterval(Duration.ofMillis(20))
                    .until(() -> lanes.size(floodTenant) > RECORDS_PER_TENANT);
            assertThat(floodDruva.users()).as("the flood's users stored while its lane keeps beyond its rooms")
                    .hasSizeLessThan(FLOOD / 2);

            int floodStoredAtSwitch = floodDruva.users().size();
            // the second job is started; its first cycle's operations come behind the rest of the flood
            publishJob(job(secondJob, secondDruva, JobState.ACTIVE, 2));
            await().atMost(Waits.OUTCOME)
                    .until(() -> jobs.find(secondJob).map(j -> j.state() == JobState.ACTIVE).orElse(false));
            KafkaTopics.publishOperations(second);

            await().atMost(Waits.OUTCOME).pollInterval(Duration.ofMillis(50))
                    .until(() -> secondDruva.users().size() == SECOND);
            int floodStored = floodDruva.users().size();
            // B waited at most for the flood's operations the writer had taken in when B started (at most the
            // admission limit's), not for the flood's records still in Kafka ahead of B's
            assertThat(floodStored - floodStoredAtSwitch)
                    .as("the flood's users stored from B's start until all of B's were stored")
                    .isLessThan(MAX_RECORDS);

            var results = KafkaTopics.awaitAllResults(
                    Stream.concat(flood.stream(), second.stream()).map(Fixtures::resultId).toList(),
                    Waits.BURST);
            assertThat(results.values()).allSatisfy(r -> assertThat(r.status()).isEqualTo(ProvisioningStatus.Success));
            assertStoredOnce(floodDruva, flood);
            assertStoredOnce(secondDruva, second);
        }
    }

    /** Every operation's user is at the Druva once, created by one request: none lost, none doubled. */
    private static void assertStoredOnce(DruvaScimServer druva, List<ScimOperation> ops) {
        List<String> expected = new ArrayList<>();
        ops.forEach(op -> expected.add(String.valueOf(op.attributes().get("userName"))));
        assertThat(druva.users()).extracting(DruvaUser::userName).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(druva.requests()).filteredOn(r -> r.method().equals("POST") && r.path().endsWith("/Users"))
                .as("one create per user").hasSize(ops.size());
    }

    private static JobConfig job(String jobId, DruvaScimServer druva, JobState state, long revision) {
        return Fixtures.job(jobId, druva.baseUrl(), Fixtures.TOKEN, state, PatchDialect.ENTRA, TargetObjectActions.ALL,
                revision);
    }

    private static void publishJob(JobConfig job) {
        KafkaTopics.send(JOBS_TOPIC, job.jobId(), Json.write(job));
    }

    /**
     * {@code count} upserts of new users of the job, in its initial cycle, all on one partition of
     * {@code provisioning.operations} (their keys chosen so): each job's records then follow each other in the order
     * published, as on a topic of one partition, whichever partition the consumer reads first.
     */
    private static List<ScimOperation> users(String jobId, String name, int count) {
        int partitions = KafkaTopics.producer().partitionsFor(Topics.OPERATIONS).size();
        return IntStream.iterate(0, i -> i + 1)
                .mapToObj(i -> Fixtures.upsert(jobId, name + i, Fixtures.user(jobId + "-" + i, "Flood", name + i)))
                .filter(op -> OperationsPartitions.partitionOf(op.key(), partitions) == PARTITION)
                .limit(count)
                .toList();
    }
}
