package dev.provisioning.events.job;

import java.util.List;

/** A scoping filter: its clauses are ANDed. A job's filters are ORed. */
public record ScopingFilter(String name, List<ScopingClause> clauses) {

    public ScopingFilter {
        clauses = clauses == null ? List.of() : List.copyOf(clauses);
    }
}
