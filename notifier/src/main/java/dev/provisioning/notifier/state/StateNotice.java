package dev.provisioning.notifier.state;

import java.time.Instant;
import java.util.List;

import dev.provisioning.events.JobStateChange;

/**
 * One job state email (quarantine started or lifted, deletions held, secret token rejected or expiring), ready for the
 * Qute templates {@code templates/state.*}.
 *
 * @param noticeId the job state event's id: one email per event
 * @param jobId the job
 * @param jobLabel the job's name and id for people, e.g. {@code Druva (job-1)}
 * @param change what happened
 * @param kind the metric kind: {@code quarantine}, {@code deletions} or {@code token}
 * @param reasonCode Entra's reason code, may be null
 * @param reason the detector's sentence, may be null
 * @param count how many objects it concerns (held deletions), or 0
 * @param occurredAt when it happened, may be null
 * @param subject the email subject, naming the job and the problem
 * @param headline the first sentence of the email
 * @param whatToDo what the administrator should do, one step per entry; may be empty
 * @param statusUrl link to the job's status, may be null
 * @param logsUrl link to the job's failed provisioning logs, may be null
 */
public record StateNotice(
        String noticeId,
        String jobId,
        String jobLabel,
        JobStateChange change,
        String kind,
        String reasonCode,
        String reason,
        long count,
        Instant occurredAt,
        String subject,
        String headline,
        List<String> whatToDo,
        String statusUrl,
        String logsUrl) {

    public StateNotice {
        whatToDo = List.copyOf(whatToDo);
    }
}
