package dev.provisioning.notifier.messaging;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.EventChecks;
import dev.provisioning.events.MalformedEventException;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;

/**
 * One poll of {@code provisioning.results} sorted in one pass, in offset order within each partition: what to store in
 * the outbox, what repeats a result already in this poll, what is malformed, and how far each partition was read.
 * Plain Java over {@link ConsumerRecord}s (no I/O), so {@link ResultsConsumer} does its I/O once per poll.
 *
 * @param toStore the Failures to store, each result id once (its first record in the poll), in poll order
 * @param repeated the Failures whose result id came earlier in the same poll (a redelivery): counted as deduplicated,
 *        never stored twice
 * @param malformed the records that cannot be read as a {@link ProvisioningResult}, with the reason (names the type and
 *        the field, from {@link EventChecks#result})
 * @param highestOffsets per partition in the poll, the offset of its last record
 * @param skipped records read and not stored: not a Failure, a Failure its job's quarantine email tells
 *        ({@link #toldByItsQuarantine}), or a Failure of a job known to send no failure emails
 */
public record ResultsBatch(List<Failure> toStore, List<Failure> repeated, List<Malformed> malformed,
        Map<TopicPartition, Long> highestOffsets, int skipped) {

    /** A Failure result and the record it came in. */
    public record Failure(ConsumerRecord<String, String> record, ProvisioningResult result) {
    }

    /** A record that is not a valid {@link ProvisioningResult}, and why (the {@code dead-letter-reason}). */
    public record Malformed(ConsumerRecord<String, String> record, String reason) {
    }

    /**
     * Sorts one poll.
     *
     * @param records the poll's records (any partitions; within a partition in offset order, as Kafka returns them)
     * @param wanted whether a Failure is to be stored: its job sends failure emails, or is not known yet (the address is
     *        resolved when the digest is sent)
     * @return the sorted poll; never null, empty lists for an empty poll
     */
    public static ResultsBatch of(Iterable<ConsumerRecord<String, String>> records,
            Predicate<ProvisioningResult> wanted) {
        List<Failure> toStore = new ArrayList<>();
        List<Failure> repeated = new ArrayList<>();
        List<Malformed> malformed = new ArrayList<>();
        Map<TopicPartition, Long> highest = new LinkedHashMap<>();
        Set<String> ids = new HashSet<>();
        int skipped = 0;
        for (ConsumerRecord<String, String> record : records) {
            highest.merge(new TopicPartition(record.topic(), record.partition()), record.offset(), Math::max);
            ProvisioningResult result;
            try {
                result = EventChecks.result(record.value());
            } catch (MalformedEventException e) {
                malformed.add(new Malformed(record, e.getMessage()));
                continue;
            }
            if (result.status() != ProvisioningStatus.Failure || toldByItsQuarantine(result) || !wanted.test(result)) {
                skipped++;
            } else if (ids.add(result.resultId())) {
                toStore.add(new Failure(record, result));
            } else {
                repeated.add(new Failure(record, result));
            }
        }
        return new ResultsBatch(List.copyOf(toStore), List.copyOf(repeated), List.copyOf(malformed),
                Map.copyOf(highest), skipped);
    }

    /**
     * Whether a Failure is told by its job's quarantine email instead of a digest: Druva's 401
     * ({@code InvalidCredentials}) quarantines the job at once (Entra's behaviour, BEHAVIOUR.md section 5), and the
     * quarantine's one email ("quarantined — InvalidCredentials (secret token rejected)") says so and what to do. A
     * digest line for each object the 401 answered would tell the same event a second time, with advice for a problem
     * of the source (the run command's trial, 2026-12-05).
     */
    static boolean toldByItsQuarantine(ProvisioningResult result) {
        return ErrorCodes.INVALID_CREDENTIALS.equals(result.errorCode());
    }

    /** The Failures of this poll, stored ones and repeats, in poll order within each list. */
    public List<Failure> failures() {
        List<Failure> all = new ArrayList<>(toStore);
        all.addAll(repeated);
        return all;
    }
}
