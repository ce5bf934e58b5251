package dev.provisioning.detector.persistence;

import java.util.Arrays;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

import dev.provisioning.detector.job.QuarantineReason;
import dev.provisioning.events.MalformedEventException;

/**
 * A stored job row that this version cannot read, as far as it can be shown without reading it: the row's own
 * {@code id}, {@code name} and {@code state} columns, and what cannot be read. {@link JobStore} makes one wherever it
 * reads job rows (a job's read, the list, a claim), so an unreadable row is handled the same way everywhere: left out
 * of the claim, listed as unreadable, refused by name on its own ({@link UnreadableJobException}).
 *
 * <p>
 * {@code field} and {@code reason} never carry a stored value of the configuration (a secret among them): a
 * configuration the parser refuses is named by its path and the kind of its fault only.
 *
 * @param id the job's id
 * @param name the job's display name (its {@code name} column)
 * @param state its {@code state} column: ACTIVE, PAUSED or QUARANTINED
 * @param field what cannot be read: {@code config} or a path into it ({@code config.scope},
 *        {@code config.userMappings[1].source}), or a column ({@code quarantine_reason}, {@code deletion_threshold}
 *        for either value of the threshold), {@code row} when the rest of the row is at fault
 * @param reason why, as a phrase that follows the field: "has a value this version cannot read as a
 *        ProvisioningScope"
 */
public record UnreadableJob(String id, String name, String state, String field, String reason) {

    /** The field of a deletion threshold that cannot be read (its count or its share out of range). */
    public static final String DELETION_THRESHOLD = "deletion_threshold";

    /** The field and reason of a failure to read the row's {@code field} (a column, or {@code config}). */
    static UnreadableJob of(String id, String name, String state, String field, RuntimeException failure) {
        if (field.equals("config")) {
            return configuration(id, name, state, failure);
        }
        if (field.equals("quarantine_reason") && failure instanceof IllegalArgumentException) {
            return new UnreadableJob(id, name, state, field, "is not a quarantine reason this version knows ("
                    + Arrays.stream(QuarantineReason.values()).map(Enum::name).collect(Collectors.joining(", "))
                    + ")");
        }
        return new UnreadableJob(id, name, state, field, "cannot be read: "
                + (failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage()));
    }

    /**
     * A configuration that does not parse, or does not pass its checks: named by its path, with the kind of fault and
     * never the value (Jackson's own message quotes it).
     */
    private static UnreadableJob configuration(String id, String name, String state, RuntimeException failure) {
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
            return new UnreadableJob(id, name, state, path.toString(), reason);
        }
        if (cause instanceof JsonProcessingException json) {
            return new UnreadableJob(id, name, state, "config", "is not JSON"
                    + (json.getLocation() == null
                            ? ""
                            : " (line " + json.getLocation().getLineNr() + ", column "
                                    + json.getLocation().getColumnNr() + ")"));
        }
        if (failure instanceof MalformedEventException) {
            // the configuration's own checks (a required field, the schema version): their messages name fields only
            return new UnreadableJob(id, name, state, "config", "does not pass this version's checks: "
                    + failure.getMessage());
        }
        return new UnreadableJob(id, name, state, "config", "cannot be read: " + failure.getClass().getSimpleName());
    }

    /** What the log and the exception say: the job, the field and the reason. */
    public String describe() {
        return "job " + id + ": its stored " + field + " " + reason;
    }
}
