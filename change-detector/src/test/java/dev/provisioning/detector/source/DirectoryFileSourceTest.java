package dev.provisioning.detector.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.provisioning.events.Assignment;

class DirectoryFileSourceTest {

    @TempDir
    Path dir;

    @Test
    void usersReachedDirectlyOrThroughADirectlyAssignedGroupGetTheirAssignments() throws Exception {
        Path file = write("""
                {"users": [
                   {"id": "u1", "userPrincipalName": "a@x.test", "accountEnabled": true},
                   {"id": "u2", "userPrincipalName": "b@x.test"},
                   {"id": "u3", "userPrincipalName": "c@x.test"}],
                 "groups": [{"id": "g1", "displayName": "Sales", "members": ["u2", "g2"]},
                            {"id": "g2", "displayName": "Nested", "members": ["u3"]}],
                 "assignments": [
                   {"principalId": "u1", "principalType": "User", "appRoleId": "r1"},
                   {"principalId": "g1", "principalType": "Group", "appRoleId": "r2"}]}
                """);

        Directory directory = new DirectoryFileSource(file).read();

        assertThat(directory.users()).hasSize(3);
        assertThat(directory.users().get(0).attributes()).containsEntry("accountEnabled", true);
        assertThat(directory.assignmentsByUser())
                .containsEntry("u1", java.util.List.of(new Assignment("r1", null)))
                .containsEntry("u2", java.util.List.of(new Assignment("r2", "g1")))
                // no nested groups, as in Entra
                .doesNotContainKey("u3");
    }

    @Test
    void aMissingFileIsAClearError() {
        Path missing = dir.resolve("nope.json");

        assertThatThrownBy(() -> new DirectoryFileSource(missing).read()).isInstanceOf(SourceException.class)
                .hasMessage("directory file " + missing + " does not exist");
    }

    @Test
    void anUnreadableFileNamesTheProblemAndThePlace() throws Exception {
        Path broken = write("{\"users\": [ {\"id\": \"u1\" ");
        assertThatThrownBy(() -> new DirectoryFileSource(broken).read()).hasMessageContaining("is not valid JSON")
                .hasMessageContaining("line 1");

        Path noId = write("{\"users\": [{\"mail\": \"a@x.test\"}]}");
        assertThatThrownBy(() -> new DirectoryFileSource(noId).read())
                .hasMessageEndingWith("users[0]: field 'id' is required");

        Path badType = write("{\"users\": [{\"id\": \"u\"}], \"assignments\": [{\"principalId\": \"u\", "
                + "\"principalType\": \"Robot\", \"appRoleId\": \"r\"}]}");
        assertThatThrownBy(() -> new DirectoryFileSource(badType).read())
                .hasMessageEndingWith("assignments[0].principalType must be User or Group, not Robot");
    }

    private Path write(String json) throws Exception {
        Path file = Files.createTempFile(dir, "directory", ".json");
        Files.writeString(file, json);
        return file;
    }
}
