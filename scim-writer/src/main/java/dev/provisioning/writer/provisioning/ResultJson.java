package dev.provisioning.writer.provisioning;

import java.util.concurrent.ConcurrentMap;

import jakarta.enterprise.context.ApplicationScoped;

import com.google.common.collect.MapMaker;

import dev.provisioning.events.Json;
import dev.provisioning.events.ProvisioningResult;

/**
 * A result's JSON, written once (issue 13): the writer records each result ({@code processed_operation}) and then
 * publishes it on {@code provisioning.results}, the same text both times. The text written for a result is kept
 * while the result itself is reachable (weak keys: nothing to remove, nothing kept after the result is dropped),
 * so the publisher takes it instead of writing it again.
 *
 * <p>
 * Keyed by the result instance (identity, Guava's {@link MapMaker#weakKeys()}): the instance recorded is the one
 * published. Keyed by value (a synchronized {@code WeakHashMap}, until the twelfth round), each call hashed the whole
 * record, its modified properties included, and a hit compared it field by field: about 2 % of the writer's CPU
 * samples at the 30,000-user benchmark, more than half as much as writing the JSON. An equal result of another
 * instance is written again: the same text. Thread-safe, without a lock shared by all callers.
 */
@ApplicationScoped
public class ResultJson {

    private final ConcurrentMap<ProvisioningResult, String> written = new MapMaker().weakKeys().makeMap();

    /** The result's JSON ({@link Json#write}): the text kept for this instance, or written now and kept. */
    public String of(ProvisioningResult result) {
        String json = written.get(result);
        if (json == null) {
            json = Json.write(result);
            written.put(result, json);
        }
        return json;
    }
}
