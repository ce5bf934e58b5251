package dev.provisioning.writer.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;

import dev.provisioning.events.EventChecks;
import dev.provisioning.events.MalformedEventException;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.JobDirectory;
import dev.provisioning.events.job.JobState;
import dev.provisioning.telemetry.Plural;
import dev.provisioning.writer.config.WriterStop;
import dev.provisioning.writer.escrow.CredentialHolds;
import dev.provisioning.writer.persistence.EscrowStore;

/**
 * Reads {@code provisioning.jobs} (compacted) into the {@link JobDirectory}. Every replica reads the whole topic with
 * its own group id and commits nothing. A malformed record goes to {@code provisioning.jobs.dlq}.
 *
 * <p>
 * A configuration lets the job's operations waiting for it go on, and releases the job's held operations when its
 * token changed or it was started again ({@link CredentialHolds}); a hold stored before a restart is restored. A
 * tombstone (null value) removes the job: its waiting and later operations are dead-lettered and its escrow rows
 * discarded.
 */
@ApplicationScoped
public class JobsConsumer {

    private static final Logger LOG = Logger.getLogger(JobsConsumer.class);

    private final JobDirectory directory;
    private final OperationsConsumer operations;
    private final CredentialHolds holds;
    private final EscrowStore escrows;
    private final EscrowScheduler waiting;
    private final WriterStop stop;

    public JobsConsumer(JobDirectory directory, OperationsConsumer operations, CredentialHolds holds,
            EscrowStore escrows, EscrowScheduler waiting, WriterStop stop) {
        this.stop = stop;
        this.directory = directory;
        this.operations = operations;
        this.holds = holds;
        this.escrows = escrows;
        this.waiting = waiting;
    }

    @Incoming(Channels.JOBS)
    public Uni<Void> onJob(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            String jobId = record.key();
            directory.remove(jobId);
            holds.forget(jobId);
            operations.jobDeleted(jobId);
            waiting.jobDeleted(jobId);
            LOG.infof("job %s deleted", jobId);
            return escrows.deleteAllOfJob(jobId).invoke(n -> {
                if (n > 0) {
                    LOG.infof("job %s deleted: %s discarded", jobId, Plural.of(n, "waiting operation"));
                }
            }).onFailure().invoke(e -> LOG.logf(stop.stopping() ? Logger.Level.DEBUG : Logger.Level.WARN,
                    "job %s deleted, but its waiting operations could not be discarded (%s): they are dead-lettered "
                            + "when they come due",
                    jobId, e.toString()))
                    .onFailure().recoverWithNull().replaceWithVoid();
        }
        JobConfig job;
        try {
            job = EventChecks.job(record.value());
        } catch (MalformedEventException e) {
            LOG.warnf("malformed job record with key %s: %s", record.key(), e.getMessage());
            throw e;
        }
        directory.put(job);
        waiting.jobKnown(job.jobId());
        // the latest revision known (a late, older record must not release or restore anything)
        JobConfig latest = directory.find(job.jobId()).orElse(job);
        LOG.infof("job %s revision %d: tenant %s, dialect %s, state %s", job.jobId(), job.revision(),
                job.tenantUrl(), job.patchDialect(), job.state());
        if (holds.onJob(latest)) {
            LOG.infof("job %s revision %d: its token changed or it was started again: its held operations are sent",
                    latest.jobId(), latest.revision());
        }
        operations.jobArrived(latest);
        return escrows.releaseHeld(latest.jobId(), CredentialHolds.fingerprint(latest.secretToken()),
                latest.state() == JobState.ACTIVE, latest.revision())
                .invoke(released -> {
                    if (released > 0) {
                        LOG.infof("job %s: %s released", latest.jobId(), Plural.of(released, "held operation"));
                        waiting.releaseDueNow();
                    }
                })
                .chain(() -> escrows.hold(latest.jobId()))
                .invoke(stored -> stored.ifPresent(
                        hold -> holds.restore(latest, new CredentialHolds.Hold(hold.token(), hold.revision()))))
                // as the writer stops, the pool may be closing: the next start checks them (it reads every job again)
                .onFailure().invoke(e -> LOG.logf(stop.stopping() ? Logger.Level.DEBUG : Logger.Level.WARN,
                        "job %s: held operations could not be checked (%s); the next configuration or restart checks "
                                + "them",
                        latest.jobId(), e.toString()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }
}
