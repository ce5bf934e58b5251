package dev.provisioning.detector.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.Json;

/**
 * A user's attributes held without their keys (issue 13) give back exactly the canonical JSON they were made from,
 * whatever their values hold; JSON that UTF-8 cannot hold is kept as text, and still given back exactly.
 */
class CanonicalAttributesTest {

    @Test
    void attributesGiveBackTheirCanonicalJsonWhateverTheValuesHold() {
        List<Map<String, Object>> cases = List.of(Map.of(), Map.of("a", ""), Map.of("a", List.of()),
                user("Zo\u00eb \"Q\" {x:1, y:[2]} \\ \u0001 \u2028 \u4e2d \ud83d\ude00 ,:",
                        List.of("a,b", "c:d", "]}")),
                user("plain", List.of()),
                Map.of("k\"ey", "v", "k,ey:", 1L, "{", 2.5, "\u0001", true, "z", List.of("\"", "\\")));
        for (Map<String, Object> attributes : cases) {
            CanonicalAttributes canonical = CanonicalAttributes.of(attributes);

            assertThat(canonical.json()).isEqualTo(Json.write(new TreeMap<>(attributes)));
            assertThat(canonical.compact()).as("held without its keys: %s", attributes).isTrue();
            assertThat(canonical).isEqualTo(attributes).isEqualTo(CanonicalAttributes.of(new TreeMap<>(attributes)));
        }
    }

    @Test
    void aValueUtf8CannotHoldIsKeptAsText() {
        Map<String, Object> attributes = user("lone \ud83d surrogate", List.of());

        CanonicalAttributes canonical = CanonicalAttributes.of(attributes);

        assertThat(canonical.compact()).isFalse();
        assertThat(canonical.json()).isEqualTo(Json.write(new TreeMap<>(attributes)));
        assertThat(canonical.get("displayName")).isEqualTo("lone \ud83d surrogate");
    }

    @Test
    void usersWithTheSameKeysShareTheirShape() {
        CanonicalAttributes one = CanonicalAttributes.of(user("one", List.of("x")));
        CanonicalAttributes two = CanonicalAttributes.of(user("two", List.of()));

        assertThat(one.shape()).isSameAs(two.shape());
        assertThat(one).isNotEqualTo(two);
    }

    private static Map<String, Object> user(String displayName, List<String> phones) {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("id", "u1");
        attributes.put("displayName", displayName);
        attributes.put("accountEnabled", false);
        attributes.put("businessPhones", phones);
        attributes.put("extensionAttribute1", -12345678901234L);
        attributes.put("extensionAttribute2", 1e-7);
        return attributes;
    }
}
