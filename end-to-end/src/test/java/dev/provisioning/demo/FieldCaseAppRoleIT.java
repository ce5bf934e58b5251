package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.druva.DruvaUser;
import dev.provisioning.druva.RecordedRequest;
import dev.provisioning.events.Json;

/**
 * Field case 01 (../shared/field-cases, issue 14 item 1) end to end: a user assigned the app role
 * {@code {"id": "1111…0001", "displayName": "Admin"}}, with {@code displayName <- SingleAppRoleAssignment([appRoleAssignments])},
 * is created with displayName "Admin", the role (customize-application-attributes.md, "Provisioning a role to a SCIM
 * app"), not the role's id.
 */
@ExtendWith(SharedLocalSystem.class)
class FieldCaseAppRoleIT {

    static LocalSystem system;
    static Path directory;

    @BeforeAll
    static void startSystem(LocalSystem shared) throws Exception {
        Path work = SharedLocalSystem.work("it-field-case-01");
        Files.createDirectories(work);
        directory = work.resolve("01-single-app-role-value.directory.json");
        try (InputStream in = resource("01-single-app-role-value.directory.json")) {
            Files.copy(in, directory, StandardCopyOption.REPLACE_EXISTING);
        }
        system = shared;
    }

    @Test
    void thePostOfAUserAssignedARoleCarriesTheRoleAsDisplayName() throws Exception {
        Map<String, Object> job;
        try (InputStream in = resource("01-single-app-role-value.job.json")) {
            job = Json.mapper().readValue(in, Map.class);
        }
        job.remove("_case");
        job.put("tenantUrl", system.druva().baseUrl());
        job.put("secretToken", system.druvaToken());
        job.put("source", Map.of("type", "DIRECTORY_FILE", "directoryFile", directory.toString()));
        system.jobs().create(job);

        await().atMost(Waits.CYCLE).pollInterval(Duration.ofSeconds(1))
                .until(() -> system.druva().users().stream()
                        .anyMatch(u -> u.userName().equals("priya.nandakumar@fabrikam.example")));
        DruvaUser priya = system.druva().users().stream()
                .filter(u -> u.userName().equals("priya.nandakumar@fabrikam.example")).findFirst().orElseThrow();
        assertThat(priya.displayName()).isEqualTo("Admin");
        RecordedRequest post = system.druva().requests().stream()
                .filter(r -> r.method().equals("POST") && r.path().endsWith("/Users")).findFirst().orElseThrow();
        JsonNode body = Json.mapper().readTree(post.body());
        assertThat(body.path("displayName").asText()).isEqualTo("Admin");
    }

    private static InputStream resource(String name) {
        return FieldCaseAppRoleIT.class.getResourceAsStream("/field-cases/" + name);
    }
}
