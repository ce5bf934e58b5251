package dev.provisioning.mapping;

import java.util.List;
import java.util.stream.Collectors;

/** Thrown by {@link MappingEngine#compile} when a job's mappings or scoping filters are not valid. */
public class InvalidConfigurationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient List<ConfigError> errors;

    public InvalidConfigurationException(List<ConfigError> errors) {
        super("invalid job configuration: "
                + errors.stream().map(ConfigError::toString).collect(Collectors.joining("; ")));
        this.errors = List.copyOf(errors);
    }

    /** Every error found, never empty. */
    public List<ConfigError> errors() {
        return errors;
    }
}
