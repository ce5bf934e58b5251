package dev.provisioning.detector.persistence;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

import dev.provisioning.detector.job.DeletionThreshold;
import dev.provisioning.detector.job.QuarantineReason;
import dev.provisioning.events.MalformedEventException;
import dev.provisioning.events.job.JobConfig;

/**
 * A stored job row that this version cannot read, as far as it can be shown without reading it: the row's own
 * {@code id}, {@code name} and {@code state} columns, every part of it that cannot be read ({@link Fault}), and the
 * parts that could ({@code config}, {@code deletionThreshold}). {@link JobStore} makes one wherever it reads job rows
 * (a job's read, the list, a claim), so an unreadable row is handled the same way everywhere: left out of the claim,
 * listed as unreadable, refused by name on its own ({@link UnreadableJobException}).
 *
 * <p>
 * Each part of the row is read on its own (the configuration, the quarantine reason, the deletion threshold, the rest
 * of the row), so a row with several faults names them all, in that order; the configuration's own fault is the first
 * one its parser meets. A fault's {@code field} and {@code reason} never carry a stored value of the configuration (a
 * secret among them): a configuration the parser refuses is named by its path and the kind of its fault only.
 *
 * @param id the job's id
 * @param name the job's display name (its {@code name} column)
 * @param state its {@code state} column: ACTIVE, PAUSED or QUARANTINED
 * @param faults what cannot be read, at least one, in the order above
 * @param config the stored configuration when it could be read (the fault is elsewhere in the row), else null; its
 *        secrets are never shown and a repair does not use them
 * @param deletionThreshold the stored deletion threshold when it could be read, else null
 */
public record UnreadableJob(String id, String name, String state, List<Fault> faults, JobConfig config,
        DeletionThreshold deletionThreshold) {

    /** The field of a deletion threshold that cannot be read (its count or its share out of range). */
    public static final String DELETION_THRESHOLD = "deletion_threshold";
    /** The field of a quarantine reason that cannot be read (one this version does not know). */
    public static final String QUARANTINE_REASON = "quarantine_reason";
    /** The field of a fault in the rest of the row (its schedule, counts or claim), which no request carries. */
    public static final String ROW = "row";

    public UnreadableJob {
        if (faults.isEmpty()) {
            throw new IllegalArgumentException("an unreadable job has at least one fault");
        }
        faults = List.copyOf(faults);
    }

    /**
     * One part of the row that cannot be read.
     *
     * @param field {@code config} or a path into it ({@code config.scope}, {@code config.userMappings[1].source}), or a
     *        column ({@code quarantine_reason}, {@code deletion_threshold} for either value of the threshold), or
     *        {@code row} when the rest of the row is at fault
     * @param reason why, as a phrase that follows the field: "has a value this version cannot read as a
     *        ProvisioningScope"
     */
    public record Fault(String field, String reason) {

        /** "config.scope has a value this version cannot read as a ProvisioningScope" */
        public String describe() {
            return field + " " + reason;
        }
    }

    /** The fields that cannot be read, in order. */
    public List<String> fields() {
        return faults.stream().map(Fault::field).toList();
    }

    /** Whether {@code field} is one of the fields that cannot be read. */
    public boolean has(String field) {
        return faults.stream().anyMatch(f -> f.field().equals(field));
    }

    /**
     * Whether a PUT of a whole configuration repairs the row: every fault lies in what a request carries (the
     * configuration, the quarantine reason it replaces, the deletion threshold), none in the rest of the row (its
     * schedule, counts or claim).
     */
    public boolean repairable() {
        return !has(ROW);
    }

    /** Every fault, each as its field and reason, joined: "config.scope has ...; quarantine_reason is not ...". */
    public String describeFaults() {
        return faults.stream().map(Fault::describe).collect(Collectors.joining("; "));
    }

    /** The fault of a failure to read the row's {@code field} (a column, or {@code config}). */
    static Fault fault(String field, RuntimeException failure) {
        if (field.equals("config")) {
            return configuration(failure);
        }
        if (field.equals(QUARANTINE_REASON) && failure instanceof IllegalArgumentException) {
            return new Fault(field, "is not a quarantine reason this version knows ("
                    + Arrays.stream(QuarantineReason.values()).map(Enum::name).collect(Collectors.joining(", "))
                    + ")");
        }
        return new Fault(field, "cannot be read: "
                + (failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage()));
    }

    /**
     * A configuration that does not parse, or does not pass its checks: named by its path, with the kind of fault and
     * never the value (Jackson's own message quotes it).
     */
    private static Fault configuration(RuntimeException failure) {
        Throwable cause = failure.getCause();
        if (cause instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            StringBuilder path = new StringBuilder("config");
            for (JsonMappingException.Reference r : mapping.getPath()) {
                if (r.getFieldName() != null) {
                    path.append('.').append(r.getFieldName());
                } else if (r.getIndex() >= 0) {
                    path.append('[').append(r.getIndex()).append(']');
                }
            }
            String reason;
            if (mapping instanceof InvalidFormatException format && format.getTargetType() != null) {
                reason = "has a value this version cannot read as a " + format.getTargetType().getSimpleName();
            } else if (mapping instanceof MismatchedInputException input && input.getTargetType() != null) {
                reason = "does not have the shape of a " + input.getTargetType().getSimpleName();
            } else {
                reason = "cannot be read as this version's job configuration";
            }
            return new Fault(path.toString(), reason);
        }
        if (cause instanceof JsonProcessingException json) {
            return new Fault("config", "is not JSON"
                    + (json.getLocation() == null
                            ? ""
                            : " (line " + json.getLocation().getLineNr() + ", column "
                                    + json.getLocation().getColumnNr() + ")"));
        }
        if (failure instanceof MalformedEventException) {
            // the configuration's own checks (a required field, the schema version): their messages name fields only
            return new Fault("config", "does not pass this version's checks: "
                    + failure.getMessage());
        }
        return new Fault("config", "cannot be read: " + failure.getClass().getSimpleName());
    }

    /** {@link #describe()}: never the configuration that could be read. */
    @Override
    public String toString() {
        return describe();
    }

    /** What the log and the exception say: the job, and each field with its reason. */
    public String describe() {
        return "job " + id + ": its stored " + faults.stream().map(Fault::describe)
                .collect(Collectors.joining("; and its stored "));
    }
}
