package dev.provisioning.mapper;

import java.time.Instant;

import dev.provisioning.events.Json;
import dev.provisioning.events.Topics;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobState;
import dev.provisioning.events.job.SecretCipher;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/** The job configurations the mapper's tests publish on {@code provisioning.jobs}. */
public final class TestJobs {

    private TestJobs() {
    }

    /**
     * Publishes an active Druva job with the default mappings (its token encrypted with the local stack's key; the
     * endpoint is never called by the mapper) and waits for the broker's ack.
     *
     * @return the job id
     */
    public static String publish(TopicClient kafka, String jobId) {
        SecretCipher cipher = SecretCipher.fromBase64(LocalStackTestResource.stack().secretKey());
        JobConfig job = new JobConfig(JobConfig.SCHEMA_VERSION, jobId, "Druva", JobState.ACTIVE,
                "http://127.0.0.1:1/scim", cipher.encrypt("t"), "admin@x.test", true, null, true, null, null, false,
                null, null, null, null, 1, Instant.now());
        kafka.send(Topics.JOBS, jobId, Json.write(job));
        return jobId;
    }
}
