package dev.provisioning.mapping;

/**
 * One problem in a job configuration.
 *
 * @param field where it is, JSON-path-like: {@code userMappings[2].source},
 *        {@code userScopingFilters[0].clauses[1].value}, or {@code userMappings} for the list as a whole
 * @param message what is wrong; for expressions it starts with {@code at position N:} (1-based)
 */
public record ConfigError(String field, String message) {

    @Override
    public String toString() {
        return field + ": " + message;
    }
}
