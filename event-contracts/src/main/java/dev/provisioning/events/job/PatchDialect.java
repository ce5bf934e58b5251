package dev.provisioning.events.job;

/** How PATCH requests are written. */
public enum PatchDialect {
    /** Entra's default: capitalised ops ({@code Replace}) and {@code "False"}/{@code "True"} strings for booleans. */
    ENTRA,
    /** RFC 7644 strict (Entra's {@code aadOptscim062020} flag): lower-case ops and JSON booleans. */
    RFC_STRICT
}
