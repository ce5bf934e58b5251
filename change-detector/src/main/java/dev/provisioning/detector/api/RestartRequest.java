package dev.provisioning.detector.api;

import java.util.ArrayList;
import java.util.List;

/**
 * The body of a restart: Entra's reset scopes. Absent or empty means all of them.
 *
 * @param resetScope any of {@code Full}, {@code Watermark}, {@code Escrows}, {@code QuarantineState}
 */
public record RestartRequest(List<String> resetScope) {

    /** Entra's reset scopes. */
    public enum Scope {
        /** Forget the snapshot: the next cycle re-evaluates every object. */
        Full,
        /** Forget the watermark (for the directory file, the snapshot): the next cycle is a full one. */
        Watermark,
        /** Discard the job's escrowed retries, which the scim-writer holds (asked through its API). */
        Escrows,
        /** Lift the quarantine (every restart does, as in Entra). */
        QuarantineState
    }

    /**
     * @throws InvalidJobException naming each bad entry ({@code resetScope[i]})
     */
    static List<Scope> parse(RestartRequest request) {
        if (request == null || request.resetScope() == null || request.resetScope().isEmpty()) {
            return List.of(Scope.values());
        }
        List<Scope> scopes = new ArrayList<>();
        List<FieldError> errors = new ArrayList<>();
        for (int i = 0; i < request.resetScope().size(); i++) {
            String value = request.resetScope().get(i);
            Scope scope = null;
            for (Scope s : Scope.values()) {
                if (s.name().equalsIgnoreCase(value == null ? "" : value.trim())) {
                    scope = s;
                }
            }
            if (scope == null) {
                errors.add(new FieldError("resetScope[" + i + "]",
                        "must be one of Full, Watermark, Escrows, QuarantineState, got '" + value + "'"));
            } else if (!scopes.contains(scope)) {
                scopes.add(scope);
            }
        }
        if (!errors.isEmpty()) {
            throw InvalidJobException.request(errors);
        }
        return scopes;
    }
}
