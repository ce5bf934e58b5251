package dev.provisioning.writer.scim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.provisioning.events.job.PatchDialect;

/**
 * Every PATCH the writer sends, in the ENTRA dialect and the RFC_STRICT one side by side: one table per request shape,
 * each row with its source. {@code scim-compat} is Microsoft Learn's
 * entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility.md, section "Flags to
 * alter the SCIM behavior" (the samples without and with {@code aadOptscim062020}); {@code use-scim} is
 * entra/identity/app-provisioning/use-scim-to-provision-users-and-groups.md; RFC 7644 is SCIM's protocol.
 */
class PatchDialectTest {

    private static final String PATCH = "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
            + "\"Operations\":[";

    static Stream<Arguments> userPatches() {
        List<AttributeChange> disable = List.of(new AttributeChange("active", true, false));
        List<AttributeChange> enable = List.of(new AttributeChange("active", false, true));
        List<AttributeChange> addOne = List.of(new AttributeChange("displayName", null, "Babs"));
        List<AttributeChange> replaceOne = List.of(new AttributeChange("name.familyName", "Sammet", "Sammet-Kovacs"));
        List<AttributeChange> replaceMany = List.of(
                new AttributeChange("displayName", "Barbara Sammet", "Barbara Sammet-Kovacs"),
                new AttributeChange("emails[type eq \"work\"].value", "b@x.test", "bk@x.test"),
                new AttributeChange("name.familyName", "Sammet", "Sammet-Kovacs"),
                new AttributeChange("name.formatted", "Barbara Sammet", "Barbara Sammet-Kovacs"));
        List<AttributeChange> addAndReplace = List.of(new AttributeChange("displayName", null, "Babs"),
                new AttributeChange("active", false, true));
        return Stream.of(
                // scim-compat, "Requests made to disable users", without the flag
                Arguments.of("disable", PatchDialect.ENTRA, disable,
                        "{\"op\":\"Replace\",\"path\":\"active\",\"value\":\"False\"}"),
                // scim-compat, "Requests made to disable users", with the flag: lower-case op, a JSON boolean
                Arguments.of("disable", PatchDialect.RFC_STRICT, disable,
                        "{\"op\":\"replace\",\"path\":\"active\",\"value\":false}"),
                // the same request reactivating (BEHAVIOUR.md section 1: reassigning reactivates), both dialects
                Arguments.of("enable", PatchDialect.ENTRA, enable,
                        "{\"op\":\"Replace\",\"path\":\"active\",\"value\":\"True\"}"),
                Arguments.of("enable", PatchDialect.RFC_STRICT, enable,
                        "{\"op\":\"replace\",\"path\":\"active\",\"value\":true}"),
                // scim-compat, "Requests made to add a single-value string attribute", without and with the flag
                Arguments.of("add one attribute", PatchDialect.ENTRA, addOne,
                        "{\"op\":\"Add\",\"path\":\"displayName\",\"value\":\"Babs\"}"),
                Arguments.of("add one attribute", PatchDialect.RFC_STRICT, addOne,
                        "{\"op\":\"add\",\"path\":\"displayName\",\"value\":\"Babs\"}"),
                // use-scim, "Update User [Single-valued properties]"; with the flag the op is lower-case (scim-compat)
                Arguments.of("replace one attribute", PatchDialect.ENTRA, replaceOne,
                        "{\"op\":\"Replace\",\"path\":\"name.familyName\",\"value\":\"Sammet-Kovacs\"}"),
                Arguments.of("replace one attribute", PatchDialect.RFC_STRICT, replaceOne,
                        "{\"op\":\"replace\",\"path\":\"name.familyName\",\"value\":\"Sammet-Kovacs\"}"),
                // scim-compat, "Requests to replace multiple attributes", without the flag: one op per path
                Arguments.of("replace several attributes", PatchDialect.ENTRA, replaceMany,
                        "{\"op\":\"Replace\",\"path\":\"displayName\",\"value\":\"Barbara Sammet-Kovacs\"},"
                                + "{\"op\":\"Replace\",\"path\":\"emails[type eq \\\"work\\\"].value\","
                                + "\"value\":\"bk@x.test\"},"
                                + "{\"op\":\"Replace\",\"path\":\"name.familyName\",\"value\":\"Sammet-Kovacs\"},"
                                + "{\"op\":\"Replace\",\"path\":\"name.formatted\",\"value\":\"Barbara Sammet-Kovacs\"}"),
                // ... with the flag: the filtered email path alone, the others in one op without a path (RFC 7644
                // section 3.5.2.3: "If the path is omitted, the target is assumed to be the resource itself")
                Arguments.of("replace several attributes", PatchDialect.RFC_STRICT, replaceMany,
                        "{\"op\":\"replace\",\"path\":\"emails[type eq \\\"work\\\"].value\",\"value\":\"bk@x.test\"},"
                                + "{\"op\":\"replace\",\"value\":{\"displayName\":\"Barbara Sammet-Kovacs\","
                                + "\"name.familyName\":\"Sammet-Kovacs\",\"name.formatted\":\"Barbara Sammet-Kovacs\"}}"),
                // an add and a replace in one request: each op keeps its kind (RFC 7644 section 3.5.2.1 and 3.5.2.3)
                Arguments.of("add and replace", PatchDialect.ENTRA, addAndReplace,
                        "{\"op\":\"Add\",\"path\":\"displayName\",\"value\":\"Babs\"},"
                                + "{\"op\":\"Replace\",\"path\":\"active\",\"value\":\"True\"}"),
                Arguments.of("add and replace", PatchDialect.RFC_STRICT, addAndReplace,
                        "{\"op\":\"add\",\"path\":\"displayName\",\"value\":\"Babs\"},"
                                + "{\"op\":\"replace\",\"path\":\"active\",\"value\":true}"));
    }

    @ParameterizedTest(name = "user PATCH, {0}, {1}")
    @MethodSource("userPatches")
    void userPatch(String request, PatchDialect dialect, List<AttributeChange> changes, String operations) {
        assertThat(UserRequests.patchBody(changes, dialect)).isEqualTo(PATCH + operations + "]}");
    }

    static Stream<Arguments> memberAdditions() {
        return Stream.of(
                // use-scim, "Update Group [Add Members]": one Add with a value array (several members per request)
                Arguments.of(PatchDialect.ENTRA, "{\"op\":\"Add\",\"path\":\"members\",\"value\":[{\"value\":\"u1\"},"
                        + "{\"value\":\"u2\"}]}"),
                // RFC 7644 section 3.5.2.1 (add to a multi-valued attribute), lower-case op as with the flag
                Arguments.of(PatchDialect.RFC_STRICT, "{\"op\":\"add\",\"path\":\"members\",\"value\":"
                        + "[{\"value\":\"u1\"},{\"value\":\"u2\"}]}"));
    }

    @ParameterizedTest(name = "group members added, {0}")
    @MethodSource("memberAdditions")
    void memberAddition(PatchDialect dialect, String operations) {
        assertThat(GroupRequests.addMembersBody(List.of("u1", "u2"), dialect)).isEqualTo(PATCH + operations + "]}");
    }

    static Stream<Arguments> memberRemovals() {
        return Stream.of(
                // scim-compat, "Requests made to remove a group member", without the flag: a value array
                Arguments.of(PatchDialect.ENTRA, "{\"op\":\"Remove\",\"path\":\"members\",\"value\":"
                        + "[{\"value\":\"u1\"},{\"value\":\"u\\\"2\"}]}"),
                // ... with the flag: one remove per member, a value filter in the path and no value (RFC 7644 section
                // 3.5.2.2); a quote in an id is escaped as in any filter (section 3.4.2.2)
                Arguments.of(PatchDialect.RFC_STRICT, "{\"op\":\"remove\",\"path\":\"members[value eq \\\"u1\\\"]\"},"
                        + "{\"op\":\"remove\",\"path\":\"members[value eq \\\"u\\\\\\\"2\\\"]\"}"));
    }

    @ParameterizedTest(name = "group members removed, {0}")
    @MethodSource("memberRemovals")
    void memberRemoval(PatchDialect dialect, String operations) {
        assertThat(GroupRequests.removeMembersBody(List.of("u1", "u\"2"), dialect))
                .isEqualTo(PATCH + operations + "]}");
    }

    static Stream<Arguments> renames() {
        return Stream.of(
                // use-scim, "Update Group [Non-member attributes]"
                Arguments.of(PatchDialect.ENTRA, "{\"op\":\"Replace\",\"path\":\"displayName\",\"value\":\"Ops\"}"),
                // with the flag: lower-case op (scim-compat), one attribute keeps its path
                Arguments.of(PatchDialect.RFC_STRICT,
                        "{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"Ops\"}"));
    }

    @ParameterizedTest(name = "group renamed, {0}")
    @MethodSource("renames")
    void rename(PatchDialect dialect, String operations) {
        assertThat(GroupRequests.renameBody("Ops", dialect)).isEqualTo(PATCH + operations + "]}");
    }
}
