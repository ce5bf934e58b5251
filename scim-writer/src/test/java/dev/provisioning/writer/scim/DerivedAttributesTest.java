package dev.provisioning.writer.scim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The one attribute the writer derives, {@code name.formatted}, follows given and family name on every path: the
 * create body, the diff of an update (so the PATCH replaces it with the name), an explicit mapping that wins.
 */
class DerivedAttributesTest {

    private static Map<String, Object> user(String given, String family) {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("userName", "barbara@example.com");
        attributes.put("displayName", given + " " + family);
        attributes.put("name.givenName", given);
        attributes.put("name.familyName", family);
        attributes.put("active", "True");
        return UserState.normalize(attributes);
    }

    @Test
    void theFormattedNameIsDerivedRightAfterTheNamesItIsMadeOf() {
        assertThat(UserState.withDerived(user("Barbara", "Sammet"))).containsExactly(
                Map.entry("userName", "barbara@example.com"), Map.entry("displayName", "Barbara Sammet"),
                Map.entry("name.givenName", "Barbara"), Map.entry("name.familyName", "Sammet"),
                Map.entry("name.formatted", "Barbara Sammet"), Map.entry("active", true));
    }

    @Test
    void aSurnameChangeAlsoReplacesTheFormattedName() {
        Map<String, Object> known = UserState.withDerived(user("Barbara", "Sammet"));
        Map<String, Object> desired = UserState.withDerived(user("Barbara", "Sammet-Kovacs"));

        assertThat(AttributeDiff.diff(desired, known, ScimPaths.DRUVA_UPDATABLE)).containsExactly(
                new AttributeChange("displayName", "Barbara Sammet", "Barbara Sammet-Kovacs"),
                new AttributeChange("name.familyName", "Sammet", "Sammet-Kovacs"),
                new AttributeChange("name.formatted", "Barbara Sammet", "Barbara Sammet-Kovacs"));
    }

    @Test
    void aGivenNameChangeAlsoReplacesTheFormattedName() {
        Map<String, Object> known = UserState.withDerived(user("Barbara", "Sammet"));
        Map<String, Object> desired = UserState.withDerived(user("Babs", "Sammet"));

        assertThat(AttributeDiff.diff(desired, known, ScimPaths.DRUVA_UPDATABLE))
                .extracting(AttributeChange::path)
                .containsExactly("displayName", "name.givenName", "name.formatted");
    }

    @Test
    void unchangedNamesChangeNothing() {
        assertThat(AttributeDiff.diff(UserState.withDerived(user("Barbara", "Sammet")),
                UserState.withDerived(user("Barbara", "Sammet")), ScimPaths.DRUVA_UPDATABLE)).isEmpty();
    }

    @Test
    void aLinkStoredWithoutTheFormattedNameGetsItOnItsNextUpdate() {
        // a writer that did not keep name.formatted does not know what Druva holds (it may be stale): send it once
        Map<String, Object> storedBefore = user("Barbara", "Sammet-Kovacs");

        assertThat(AttributeDiff.diff(UserState.withDerived(user("Barbara", "Sammet-Kovacs")), storedBefore,
                ScimPaths.DRUVA_UPDATABLE))
                .containsExactly(new AttributeChange("name.formatted", null, "Barbara Sammet-Kovacs"));
    }

    @Test
    void aMappedFormattedNameWinsOverTheDerivedOne() {
        Map<String, Object> mapped = user("Barbara", "Sammet");
        mapped.put("name.formatted", "Dr. Barbara Sammet");

        assertThat(UserState.withDerived(mapped)).containsEntry("name.formatted", "Dr. Barbara Sammet");
        assertThat(UserRequests.createBody(UserState.withDerived(mapped)))
                .contains("\"formatted\":\"Dr. Barbara Sammet\"");
    }

    @Test
    void onlyAFamilyNameGivesAFormattedNameOfItsOwn() {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("name.familyName", "Builder");

        assertThat(UserState.withDerived(attributes)).containsEntry("name.formatted", "Builder");
    }

    @Test
    void theFormattedNameIsReadBackFromADruvaUser() throws Exception {
        var resource = dev.provisioning.events.Json.mapper().readTree("{\"id\":\"1\",\"userName\":\"b@x.test\","
                + "\"name\":{\"givenName\":\"Barbara\",\"familyName\":\"Sammet\",\"formatted\":\"Barbara Sammet\"}}");

        assertThat(UserState.fromResource(resource)).containsEntry("name.formatted", "Barbara Sammet");
    }
}
