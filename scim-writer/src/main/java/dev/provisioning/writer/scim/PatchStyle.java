package dev.provisioning.writer.scim;

import dev.provisioning.events.job.PatchDialect;

/**
 * How one dialect writes a PATCH operation. Entra's default capitalises ops and sends booleans as {@code "True"} /
 * {@code "False"} strings; the RFC-strict dialect ({@code aadOptscim062020}) uses lower-case ops and JSON booleans.
 */
public interface PatchStyle {

    /** The op name as this dialect writes it, from the capitalised form ({@code Replace}, {@code Add}). */
    default String op(String op) {
        return op;
    }

    /** The value as this dialect writes it. */
    default Object value(Object value) {
        return value;
    }

    PatchStyle ENTRA = new PatchStyle() {
        @Override
        public Object value(Object value) {
            return value instanceof Boolean b ? (b ? "True" : "False") : value;
        }
    };

    PatchStyle RFC_STRICT = new PatchStyle() {
        @Override
        public String op(String op) {
            return op.toLowerCase(java.util.Locale.ROOT);
        }
    };

    static PatchStyle of(PatchDialect dialect) {
        return dialect == PatchDialect.RFC_STRICT ? RFC_STRICT : ENTRA;
    }
}
