package dev.provisioning.notifier.state;

import java.util.List;

import dev.provisioning.events.JobStateChange;
import dev.provisioning.events.JobStateEvent;
import dev.provisioning.notifier.mail.Links;

/**
 * Writes the email for a change in a job's health: a subject that names the job and the problem (for example
 * {@code [Provisioning] Druva (job-1): quarantined — InvalidCredentials}), what happened, and what to do about it,
 * per quarantine reason. Plain Java, no framework.
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
                problem = code == null ? "quarantined" : "quarantined — " + code;
                headline = "Provisioning job " + label + " is in quarantine" + (code == null ? "" : ": " + code)
                        + ". While it is quarantined, it runs one cycle a day.";
                steps = quarantineSteps(code, jobId);
                break;
            case QUARANTINE_LIFTED :
                problem = "quarantine lifted";
                headline = "Provisioning job " + label + " is out of quarantine. Its cycles run on their normal "
                        + "schedule again.";
                steps = List.of();
                break;
            case DELETIONS_HELD :
                problem = event.count() + (event.count() == 1 ? " deletion held" : " deletions held")
                        + " — accidental-deletion threshold";
                headline = "Provisioning job " + label + " holds " + event.count() + " disable"
                        + (event.count() == 1 ? "" : "s") + " and delete" + (event.count() == 1 ? "" : "s")
                        + " of users in Druva: the cycle exceeded the accidental-deletion threshold. Nothing is"
                        + " deleted until you allow it.";
                steps = List.of(
                        "Review the held deletions in the provisioning logs (action StagedDelete).",
                        "If they are intended, allow them: POST /jobs/" + jobId + "/allow-deletes.",
                        "If they are not, fix the source directory or the scoping, then restart the job: POST /jobs/"
                                + jobId + "/restart.");
                break;
            case TOKEN_REJECTED :
                problem = "secret token rejected (401)";
                headline = "Druva rejected the secret token of provisioning job " + label
                        + " (HTTP 401): nothing is provisioned until it is replaced.";
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
            return List.of(
                    "Review the held deletions in the provisioning logs (action StagedDelete).",
                    "If they are intended, allow them: POST /jobs/" + jobId + "/allow-deletes.",
                    "If they are not, fix the source directory or the scoping, then restart the job: POST /jobs/"
                            + jobId + "/restart.");
        }
        return List.of(
                "Read the provisioning logs to find the cause and fix it.",
                "Restart the job (POST /jobs/" + jobId + "/restart), or wait for the next daily retry.");
    }

    private static List<String> newTokenSteps(String jobId) {
        return List.of(
                "In Druva, generate a new Auth token (inSync > Manage > Deployments > Users > Settings > Generate"
                        + " Token). It is shown once and replaces the old one.",
                "Update the job's Secret Token with it (PUT /jobs/" + jobId + "), use Test Connection, then restart"
                        + " the job (POST /jobs/" + jobId + "/restart).");
    }
}
