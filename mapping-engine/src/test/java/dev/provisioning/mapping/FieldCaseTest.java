package dev.provisioning.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.events.Assignment;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.job.AttributeMapping;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.ProvisioningScope;
import dev.provisioning.events.job.ScopingFilter;
import dev.provisioning.events.job.TargetObjectActions;

/**
 * The field cases of issue 14 (src/test/resources/field-cases, copied from the shared field-case directory), through
 * the engine with their own job mappings. The events are built as the change-detector builds them from a directory
 * file, with each assignment carrying its role's value and display name from the file's {@code appRoles}.
 */
class FieldCaseTest {

    /**
     * 01: {@code displayName <- SingleAppRoleAssignment([appRoleAssignments])}, the role {"id": "1111...0001",
     * "displayName": "Admin"} (no value): Entra sends the role, not its id.
     */
    @Test
    void singleAppRoleAssignmentGivesTheRoleNotItsId() throws IOException {
        CompiledJob job = MappingEngine.compile(job("01-single-app-role-value"));
        Map<String, AssignmentEvent> events = events("01-single-app-role-value");

        Decision decision = job.evaluate(events.get("priya.nandakumar@fabrikam.example"));

        assertThat(decision).isInstanceOfSatisfying(Decision.Upsert.class,
                u -> assertThat(u.attributes()).containsEntry("displayName", "Admin")
                        .containsEntry("userName", "priya.nandakumar@fabrikam.example"));
    }

    /**
     * 02: {@code FormatDateTime(IIF([extensionAttribute9]="n/a", "", [extensionAttribute9]), , "dd/MM/yyyy",
     * "yyyy-MM-dd")}: the empty string from IIF gives no date, so no familyName, and the user is created; a date is
     * reformatted.
     */
    @Test
    void formatDateTimeOfAnEmptyStringGivesNoAttributeAndTheUserIsCreated() throws IOException {
        CompiledJob job = MappingEngine.compile(job("02-formatdatetime-empty-from-iif"));
        Map<String, AssignmentEvent> events = events("02-formatdatetime-empty-from-iif");

        Decision tomas = job.evaluate(events.get("tomas.reyes@fabrikam.example"));
        Decision asa = job.evaluate(events.get("asa.lind@fabrikam.example"));

        assertThat(tomas).isInstanceOfSatisfying(Decision.Upsert.class, u -> {
            assertThat(u.attributes()).doesNotContainKey("name.familyName")
                    .containsEntry("userName", "tomas.reyes@fabrikam.example").containsEntry("name.givenName", "Tomas")
                    .containsEntry("active", true);
            assertThat(u.attributesForCreate()).doesNotContainKey("name.familyName");
        });
        assertThat(asa).isInstanceOfSatisfying(Decision.Upsert.class,
                u -> assertThat(u.attributes()).containsEntry("name.familyName", "2024-03-15"));
    }

    /** A field-case job file (the jobs API's shape) as the job configuration the engine compiles. */
    static JobConfig job(String name) throws IOException {
        JsonNode root = read(name + ".job.json");
        var mapper = Json.mapper();
        List<AttributeMapping> mappings = List.of(mapper.treeToValue(root.path("userMappings"),
                AttributeMapping[].class));
        List<ScopingFilter> filters = List.of(mapper.treeToValue(root.path("userScopingFilters"),
                ScopingFilter[].class));
        return new JobConfig(JobConfig.SCHEMA_VERSION, "field-case", root.path("name").asText(), null,
                root.path("tenantUrl").asText(), null, null, false,
                ProvisioningScope.valueOf(root.path("scope").asText()),
                root.path("skipNotEffectivelyEntitled").asBoolean(), null,
                mapper.treeToValue(root.path("actions"), TargetObjectActions.class), false, mappings, filters, null,
                null, 1, Instant.EPOCH);
    }

    /** The first cycle's user events of a field-case directory file, by userPrincipalName. */
    static Map<String, AssignmentEvent> events(String name) throws IOException {
        JsonNode root = read(name + ".directory.json");
        Map<String, JsonNode> roles = new HashMap<>();
        root.path("appRoles").forEach(r -> roles.put(r.path("id").asText(), r));
        Map<String, List<Assignment>> assignments = new HashMap<>();
        for (JsonNode a : root.path("assignments")) {
            String roleId = a.path("appRoleId").asText();
            JsonNode role = roles.get(roleId);
            Assignment assignment = new Assignment(roleId, null, text(role, "value"), text(role, "displayName"));
            assignments.computeIfAbsent(a.path("principalId").asText(), k -> new ArrayList<>()).add(assignment);
        }
        Map<String, AssignmentEvent> events = new LinkedHashMap<>();
        for (JsonNode u : root.path("users")) {
            Map<String, Object> attributes = Json.mapper().convertValue(u, Map.class);
            String id = u.path("id").asText();
            events.put(u.path("userPrincipalName").asText(),
                    new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, "e-" + id, "field-case", "c-1", true,
                            ObjectType.USER, id, ChangeKind.ADDED, attributes,
                            assignments.getOrDefault(id, List.of()), List.of(), Instant.EPOCH));
        }
        return events;
    }

    private static String text(JsonNode node, String field) {
        return node == null || !node.hasNonNull(field) ? null : node.get(field).asText();
    }

    private static JsonNode read(String file) throws IOException {
        try (InputStream in = FieldCaseTest.class.getResourceAsStream("/field-cases/" + file)) {
            assertThat(in).as(file).isNotNull();
            return Json.mapper().readTree(in);
        }
    }
}
