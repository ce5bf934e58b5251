package dev.provisioning.notifier.messaging;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobDirectory;

/**
 * The jobs this replica has read from {@code provisioning.jobs}, and the ones deleted there (tombstones), so the sender
 * can tell "deleted" from "not read yet".
 */
@ApplicationScoped
public class KnownJobs {

    private final JobDirectory directory = new JobDirectory();
    private final Set<String> deleted = ConcurrentHashMap.newKeySet();

    public void put(JobConfig job) {
        deleted.remove(job.jobId());
        directory.put(job);
    }

    public void delete(String jobId) {
        directory.remove(jobId);
        deleted.add(jobId);
    }

    public Optional<JobConfig> find(String jobId) {
        return directory.find(jobId);
    }

    public boolean isDeleted(String jobId) {
        return deleted.contains(jobId);
    }

    /** Entra's "send an email notification when a failure occurs", with an address to send to. */
    public static boolean wantsFailureEmails(JobConfig job) {
        return job.notifyOnFailure() && job.notificationEmail() != null && !job.notificationEmail().isBlank();
    }
}
