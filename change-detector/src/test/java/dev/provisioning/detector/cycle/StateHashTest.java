package dev.provisioning.detector.cycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.provisioning.detector.source.CanonicalAttributes;
import dev.provisioning.detector.source.Directory;
import dev.provisioning.detector.source.DirectoryFileSource;
import dev.provisioning.events.Assignment;
import dev.provisioning.events.Json;

/**
 * A user read from a directory file is held with its canonical attributes and its last state hash (issue 13, F2); the
 * hash must stay bit-identical to the one computed from the attribute map before, or every user would be sent again
 * after an upgrade.
 */
class StateHashTest {

    @TempDir
    Path dir;

    /** The state hash as it was computed before F2, from the attribute map. */
    private static String before(Map<String, Object> attributes, List<Assignment> assignments) throws Exception {
        String canonical = Json.write(new TreeMap<>(attributes)) + "|" + Json.write(assignments);
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, 16);
    }

    @Test
    void aUserReadFromAFileHashesAsItsAttributeMapDidBefore() throws Exception {
        Path file = dir.resolve("d.json");
        Files.writeString(file, """
                {"users": [{"id": "u1", "userPrincipalName": "zo\\u00eb@x.test", "accountEnabled": false,
                  "displayName": "Zo\u00eb \\"Q\\" <b>&amp; \\t\\u2028 \u4e2d\u6587 \ud83d\ude00 \\\\ /",
                  "mail": null, "_note": "a comment", "businessPhones": ["+1 555", "2"],
                  "extensionAttribute1": 12345678901234, "extensionAttribute2": -7, "extensionAttribute3": 1.0,
                  "extensionAttribute4": 1e-7, "extensionAttribute5": 3.14159, "extensionAttribute6": 1E20,
                  "extensionAttribute7": [1, 2.5, true, "x"], "extensionAttribute8": "", "department": "R&D",
                  "Zeta": "upper case sorts first", "été": "sorts last"}]}
                """, StandardCharsets.UTF_8);
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("id", "u1");
        attributes.put("userPrincipalName", "zo\u00eb@x.test");
        attributes.put("accountEnabled", false);
        attributes.put("displayName", "Zo\u00eb \"Q\" <b>&amp; \t\u2028 \u4e2d\u6587 \ud83d\ude00 \\ /");
        attributes.put("businessPhones", List.of("+1 555", "2"));
        attributes.put("extensionAttribute1", 12345678901234L);
        attributes.put("extensionAttribute2", -7L);
        attributes.put("extensionAttribute3", 1.0);
        attributes.put("extensionAttribute4", 1e-7);
        attributes.put("extensionAttribute5", 3.14159);
        attributes.put("extensionAttribute6", 1E20);
        attributes.put("extensionAttribute7", List.of("1", "2.5", "true", "x"));
        attributes.put("extensionAttribute8", "");
        attributes.put("department", "R&D");
        attributes.put("Zeta", "upper case sorts first");
        attributes.put("été", "sorts last");

        Directory.SourceUser user = new DirectoryFileSource(file).read().users().get(0);

        assertThat(user.attributes()).isInstanceOf(CanonicalAttributes.class).isEqualTo(attributes);
        attributes.forEach((key, value) -> assertThat(user.attributes().get(key)).as(key).isEqualTo(value));
        assertThat(user.attributes()).doesNotContainKeys("mail", "_note", "A", "a", "zzz", "ÿ", "");
        assertThat(user.attributes().get(42)).isNull();
        List<Assignment> none = List.of();
        List<Assignment> one = List.of(new Assignment("r1", null, "User", "Users"));
        List<Assignment> two = List.of(new Assignment("r1", null), new Assignment("r2", "g1", null, "Admins"));
        for (List<Assignment> assignments : List.of(none, one, one, two, two, none, one)) {
            assertThat(CyclePlanner.hash(user.attributes(), assignments, List.of()))
                    .as("kept or computed, with %s", assignments).isEqualTo(before(attributes, assignments));
            // a user from Graph (a plain map) hashes as before too
            assertThat(CyclePlanner.hash(attributes, assignments, List.of()))
                    .isEqualTo(before(attributes, assignments));
        }
        assertThat(CyclePlanner.hash(user.attributes(), one, List.of()))
                .isNotEqualTo(CyclePlanner.hash(user.attributes(), two, List.of()));
    }

    /** A group's hash (written through to the digest) is the one of its state written out as a string before. */
    @Test
    void aGroupHashesAsItsStateWrittenOutDid() throws Exception {
        Map<String, Object> attributes = Map.of("displayName", "Zo\u00eb \ud83d\ude00 \"team\"");
        List<Assignment> direct = List.of(new Assignment("r1", null, "User", "Users"));
        List<String> members = new java.util.ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            members.add("member-" + i + (i % 7 == 0 ? "-\u4e2d\ud83d\ude00" : ""));
        }
        members.add("lone \ud83d surrogate");
        for (List<String> held : List.of(members, List.of("one"))) {
            String canonical = Json.write(new TreeMap<>(attributes)) + "|" + Json.write(direct) + "|"
                    + Json.write(held);
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            assertThat(CyclePlanner.hash(attributes, direct, held)).isEqualTo(HexFormat.of().formatHex(digest, 0, 16));
        }
    }
}
