package dev.provisioning.writer.provisioning;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningResult;

/**
 * A result's JSON, written once (issue 13): the writer records each result ({@code processed_operation}) and then
 * publishes it on {@code provisioning.results}, the same text both times. The text written for a result is kept
 * while the result itself is reachable (weak keys: nothing to remove, nothing kept after the result is dropped),
 * so the publisher takes it instead of writing it again.
 *
 * <p>
 * Keyed by the result's value (a record): equal results have equal JSON. Thread-safe.
 */
@ApplicationScoped
public class ResultJson {

    private final Map<ProvisioningResult, String> written = Collections.synchronizedMap(new WeakHashMap<>());

    /** The result's JSON ({@link Json#write}): the text kept for it, or written now and kept. */
    public String of(ProvisioningResult result) {
        String json = written.get(result);
        if (json == null) {
            json = Json.write(result);
            written.put(result, json);
        }
        return json;
    }
}
