package dev.provisioning.notifier.state;

import java.util.List;

import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.notifier.mail.Links;

/**
 * Writes the email for a change in a job's health: a subject that names the job and the problem (for example
 * {@code [Provisioning] Druva (job-1): quarantined — InvalidCredentials (secret token rejected)}), what happened, and
 * what to do about it, per quarantine reason. A quarantine that a rejected token or held deletions start is one email,
 * the quarantine's, that says what the token or deletions email would have said ({@link #quarantineStartedBy}). Plain
 * Java, no framework.
 */
public final class StateNoticeComposer {

    /** Entra's quarantine reason when Druva rejects the secret token. */
    public static final String INVALID_CREDENTIALS = "InvalidCredentials";
    /** Entra's quarantine reason when too many operations fail. */
    public static final String TOO_MANY_FAILURES = "TooManyFailures";
    /** The quarantine reason when a cycle's deletions exceed the accidental-deletion threshold. */
    public static final String DELETION_THRESHOLD_EXCEEDED = "DeletionThresholdExceeded";

    /** The metric kind of quarantine emails. */
    public static final String QUARANTINE = "quarantine";
    /** The metric kind of held deletion emails. */
    public static final String DELETIONS = "deletions";
    /** The metric kind of secret token emails. */
    public static final String TOKEN = "token";

    private final String subjectPrefix;
    private final Links links;

    public StateNoticeComposer(String subjectPrefix, Links links) {
        this.subjectPrefix = subjectPrefix == null ? "" : subjectPrefix.strip();
        this.links = links;
    }

    /** Whether a change is emailed at all: released deletions are the administrator's own doing and are not. */
    public static boolean isEmailed(JobStateChange change) {
        return change != JobStateChange.DELETIONS_RELEASED;
    }

    /**
     * The quarantine reason a change starts (the source of behaviour is the change-detector's
     * {@code ProvisioningJob}): it tells TOKEN_REJECTED and DELETIONS_HELD right before the QUARANTINE_STARTED
     * (InvalidCredentials, DeletionThresholdExceeded) they cause, in the same unit of work and on the same partition,
     * unless the job already is quarantined for that reason; then it tells no QUARANTINE_STARTED, and more deletions
     * held by a later cycle are told alone.
     *
     * @return {@link #INVALID_CREDENTIALS} for TOKEN_REJECTED, {@link #DELETION_THRESHOLD_EXCEEDED} for
     *         DELETIONS_HELD, null for any other change
     */
    public static String quarantineStartedBy(JobStateChange change) {
        switch (change) {
            case TOKEN_REJECTED :
                return INVALID_CREDENTIALS;
            case DELETIONS_HELD :
                return DELETION_THRESHOLD_EXCEEDED;
            default :
                return null;
        }
    }

    /** The metric kind of a change. */
    public static String kindOf(JobStateChange change) {
        switch (change) {
            case QUARANTINE_STARTED :
            case QUARANTINE_LIFTED :
                return QUARANTINE;
            case DELETIONS_HELD :
            case DELETIONS_RELEASED :
                return DELETIONS;
            case TOKEN_REJECTED :
            case TOKEN_EXPIRING :
                return TOKEN;
            default :
                throw new IllegalArgumentException("unknown job state change " + change);
        }
    }

    /**
     * Composes the email of one event.
     *
     * @param event the job state event
     * @param jobName the job's current name, or null to use the one in the event
     */
    public StateNotice compose(JobStateEvent event, String jobName) {
        String jobId = event.jobId();
        String name = jobName != null && !jobName.isBlank() ? jobName : event.jobName();
        String label = name == null || name.isBlank() ? jobId : name + " (" + jobId + ")";
        String code = event.reasonCode() == null || event.reasonCode().isBlank() ? null : event.reasonCode();
        String problem;
        String headline;
        List<String> steps;
        switch (event.change()) {
            case QUARANTINE_STARTED :
                problem = code == null
                        ? "quarantined"
                        : "quarantined — " + code + quarantineDetail(code, event.count());
                headline = quarantineHeadline(label, code, event.count());
                steps = quarantineSteps(code, jobId);
                break;
            case QUARANTINE_LIFTED :
                problem = "quarantine lifted";
                headline = "Provisioning job " + label + " is out of quarantine. Its cycles run on their normal "
                        + "schedule again.";
                steps = List.of();
                break;
            case DELETIONS_HELD :
                problem = held(event.count()) + " — accidental-deletion threshold";
                headline = heldHeadline(label, event.count()) + " Nothing is deleted until you allow it.";
                steps = heldDeletionSteps(jobId);
                break;
            case TOKEN_REJECTED :
                problem = "secret token rejected (401)";
                headline = rejectedHeadline(label);
                steps = newTokenSteps(jobId);
                break;
            case TOKEN_EXPIRING :
                problem = "secret token expires soon";
                headline = "The secret token of provisioning job " + label
                        + " expires soon; when it does, Druva will reject every request.";
                steps = newTokenSteps(jobId);
                break;
            case DELETIONS_RELEASED :
                problem = "held deletions released";
                headline = "The held deletions of provisioning job " + label + " were released.";
                steps = List.of();
                break;
            default :
                throw new IllegalArgumentException("unknown job state change " + event.change());
        }
        String subject = (subjectPrefix.isEmpty() ? "" : subjectPrefix + " ") + label + ": " + problem;
        return new StateNotice(event.eventId(), jobId, label, event.change(), kindOf(event.change()), code,
                event.reason(), event.count(), event.occurredAt(), subject, headline, steps, links.status(jobId),
                links.failureLogs(jobId));
    }

    private static List<String> quarantineSteps(String code, String jobId) {
        if (INVALID_CREDENTIALS.equals(code)) {
            return newTokenSteps(jobId);
        }
        if (TOO_MANY_FAILURES.equals(code)) {
            return List.of(
                    "Read the provisioning logs (status Failure) to see what fails and why.",
                    "Fix the cause in the source directory, the job's mappings or on the Druva side.",
                    "Restart the job (POST /jobs/" + jobId + "/restart), or wait for the next daily retry.");
        }
        if (DELETION_THRESHOLD_EXCEEDED.equals(code)) {
            return heldDeletionSteps(jobId);
        }
        return List.of(
                "Read the provisioning logs to find the cause and fix it.",
                "Restart the job (POST /jobs/" + jobId + "/restart), or wait for the next daily retry.");
    }

    /**
     * What the subject adds to a quarantine's reason code: what the token or deletions email would have said, e.g.
     * {@code  (secret token rejected)}, {@code  (612 deletions held)}; empty for the other reasons.
     */
    private static String quarantineDetail(String code, long count) {
        if (INVALID_CREDENTIALS.equals(code)) {
            return " (secret token rejected)";
        }
        if (DELETION_THRESHOLD_EXCEEDED.equals(code) && count > 0) {
            return " (" + held(count) + ")";
        }
        return "";
    }

    /** The first sentences of a quarantine's email: what started it, when this email is the one that tells it. */
    private static String quarantineHeadline(String label, String code, long count) {
        String schedule = "While it is quarantined, it runs one cycle a day.";
        if (INVALID_CREDENTIALS.equals(code)) {
            return rejectedHeadline(label) + " The job is in quarantine: " + code + ". " + schedule;
        }
        if (DELETION_THRESHOLD_EXCEEDED.equals(code)) {
            return heldHeadline(label, count) + " Nothing is deleted until you allow it. The job is in quarantine: "
                    + code + ". " + schedule;
        }
        return "Provisioning job " + label + " is in quarantine" + (code == null ? "" : ": " + code) + ". " + schedule;
    }

    private static String rejectedHeadline(String label) {
        return "Druva rejected the secret token of provisioning job " + label
                + " (HTTP 401): nothing is provisioned until it is replaced.";
    }

    /** {@code 612 deletions held}, {@code 1 deletion held}. */
    private static String held(long count) {
        return count + (count == 1 ? " deletion held" : " deletions held");
    }

    /** What a job holds; {@code count} 0 when the event does not say. */
    private static String heldHeadline(String label, long count) {
        String what = count <= 0
                ? "disables and deletes"
                : count + " disable" + (count == 1 ? "" : "s") + " and delete" + (count == 1 ? "" : "s");
        return "Provisioning job " + label + " holds " + what + " of users in Druva: the cycle exceeded the "
                + "accidental-deletion threshold.";
    }

    private static List<String> heldDeletionSteps(String jobId) {
        return List.of(
                "Review the held deletions in the provisioning logs (action StagedDelete) or the job's status "
                        + "(heldObjects).",
                "If they are intended, allow them: POST /jobs/" + jobId + "/allow-deletes.",
                "If they are not, fix the source directory or the scoping, then restart the job (POST /jobs/" + jobId
                        + "/restart): a restart discards the held deletions, and its cycle works out the changes "
                        + "again.");
    }

    private static List<String> newTokenSteps(String jobId) {
        return List.of(
                "In Druva, generate a new Auth token (inSync > Manage > Deployments > Users > Settings > Generate"
                        + " Token). It is shown once and replaces the old one.",
                "Update the job's Secret Token with it (PUT /jobs/" + jobId + "), use Test Connection, then restart"
                        + " the job (POST /jobs/" + jobId + "/restart).");
    }
}
