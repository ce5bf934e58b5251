package dev.provisioning.detector.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.provisioning.events.Assignment;

/**
 * The directory file reader: strict against its published schema (directory.schema.json), dangling references
 * reported, a size limit, and confined to the directory root (issue 12, item 2); app roles (issue 14, item 1).
 */
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
    void anUnreadableFileNamesTheProblemAndThePlaceWithoutQuotingIt() throws Exception {
        Path broken = write("{\"users\": [ {\"id\": \"secret-value\" ");
        assertThatThrownBy(() -> new DirectoryFileSource(broken).read()).hasMessageContaining("is not valid JSON")
                .hasMessageContaining("line 1").satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret"));

        Path noId = write("{\"users\": [{\"mail\": \"a@x.test\"}]}");
        assertThatThrownBy(() -> new DirectoryFileSource(noId).read())
                .hasMessageContaining("/users/0/id: is required");

        Path badType = write("{\"users\": [{\"id\": \"u\"}], \"assignments\": [{\"principalId\": \"u\", "
                + "\"principalType\": \"Robot\", \"appRoleId\": \"r\"}]}");
        assertThatThrownBy(() -> new DirectoryFileSource(badType).read())
                .hasMessageContaining("/assignments/0/principalType: ").hasMessageContaining("User");
    }

    @Test
    void aFileThatDoesNotMatchTheSchemaFailsWithThePointerOfEachProblem() throws Exception {
        Path misspelled = write("{\"Users\": [{\"id\": \"u1\"}], \"groups\": []}");
        assertThatThrownBy(() -> new DirectoryFileSource(misspelled).read())
                .hasMessageContaining("does not match the directory schema")
                .hasMessageContaining("/Users: unknown key")
                .hasMessageContaining("/users: is required");

        Path wrongTypes = write("""
                {"users": {"id": "u1"}, "groups": [{"id": "g1", "members": "u1"}]}
                """);
        assertThatThrownBy(() -> new DirectoryFileSource(wrongTypes).read())
                .hasMessageContaining("/users: ").hasMessageContaining("/groups/0/members: ");

        Path wrongAttribute = write("""
                {"users": [{"id": "u1", "accountEnabled": "yes", "manager": {"id": "m"}}]}
                """);
        assertThatThrownBy(() -> new DirectoryFileSource(wrongAttribute).read())
                .hasMessageContaining("/users/0/accountEnabled: ")
                .hasMessageContaining("/users/0/manager: ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("yes"));

        Path duplicate = write("{\"users\": [{\"id\": \"u1\"}, {\"id\": \"u1\"}]}");
        assertThatThrownBy(() -> new DirectoryFileSource(duplicate).read())
                .hasMessageContaining("/users/1/id: the same id as /users/0");
    }

    @Test
    void commentKeysLoadAndTheFieldCasesAndTheDemoDirectoryMatchTheSchema() throws Exception {
        Path commented = write(
                """
                        {"_case": "what this file reproduces", "$schema": "https://provisioning.dev/schemas/directory.schema.json",
                         "description": "a test",
                         "users": [{"id": "u1", "_note": "not an attribute", "extensionAttribute9": "n/a"}]}
                        """);
        Directory directory = new DirectoryFileSource(commented).read();
        assertThat(directory.users()).singleElement().satisfies(u -> assertThat(u.attributes())
                .containsEntry("extensionAttribute9", "n/a").doesNotContainKey("_note"));

        assertThat(new DirectoryFileSource(Path.of("../demo-launcher/src/main/resources/demo-directory.json")).read()
                .users()).hasSize(320);
        Path fieldCase = dir.resolve("01.json");
        try (var in = getClass().getResourceAsStream("/field-cases/01-single-app-role-value.directory.json")) {
            Files.copy(in, fieldCase);
        }
        Directory roles = new DirectoryFileSource(fieldCase).read();
        assertThat(roles.assignmentsByUser().get("a0000000-0000-4000-8000-000000000001")).singleElement()
                .isEqualTo(new Assignment("11111111-aaaa-4bbb-8ccc-000000000001", null, null, "Admin"));
    }

    @Test
    void danglingReferencesAreDroppedAndReported() throws Exception {
        Path file = write("""
                {"appRoles": [{"id": "r1", "value": "User"}],
                 "users": [{"id": "u1"}],
                 "groups": [{"id": "g1", "members": ["u1", "g2", "nobody"]}, {"id": "g2", "members": []}],
                 "assignments": [{"principalId": "u1", "principalType": "User", "appRoleId": "r1"},
                                 {"principalId": "u9", "principalType": "User", "appRoleId": "r1"},
                                 {"principalId": "g1", "principalType": "User", "appRoleId": "r1"},
                                 {"principalId": "g1", "principalType": "Group", "appRoleId": "r7"}]}
                """);

        Directory directory = new DirectoryFileSource(file).read();

        assertThat(directory.assignments()).extracting(Directory.SourceAssignment::principalId)
                .containsExactly("u1", "g1");
        assertThat(directory.danglingReferences()).isEqualTo(4);
        assertThat(directory.problems()).extracting(Directory.Problem::objectId)
                .containsExactlyInAnyOrder("g1", "u9", "g1", "g1");
        assertThat(directory.problems()).extracting(Directory.Problem::detail)
                .anySatisfy(d -> assertThat(d).contains("nobody").doesNotContain("g2"))
                .anySatisfy(d -> assertThat(d).contains("/assignments/1", "u9"))
                .anySatisfy(d -> assertThat(d).contains("/assignments/3", "r7"));
        // u1's own role with its value, and the one through g1 known by its id only
        assertThat(directory.assignmentsByUser().get("u1")).containsExactlyInAnyOrder(
                new Assignment("r1", null, "User", null), new Assignment("r7", "g1"));
    }

    /**
     * Files saved by Windows tools (Notepad, PowerShell's {@code Out-File}, .NET's {@code Encoding.Unicode}): UTF-8 with
     * a byte order mark, UTF-16 little- or big-endian with one. Each is read as the same directory as plain UTF-8, its
     * non-ASCII names intact, and read again (the memo of unchanged elements) the same.
     */
    @Test
    void aFileWithAByteOrderMarkInUtf8OrUtf16IsReadAsThePlainUtf8One() throws Exception {
        String json = """
                {"users": [{"id": "u1", "userPrincipalName": "zoe@x.test", "displayName": "Zoë Ångström"},
                           {"id": "u2", "userPrincipalName": "b@x.test", "surname": "Ōta"}],
                 "groups": [{"id": "g1", "displayName": "Équipe", "members": ["u2"]}],
                 "assignments": [{"principalId": "u1", "principalType": "User", "appRoleId": "r1"},
                                 {"principalId": "g1", "principalType": "Group", "appRoleId": "r1"}]}
                """;
        Directory plain = new DirectoryFileSource(write(json)).read();
        byte[] utf8 = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] utf16le = json.getBytes(java.nio.charset.StandardCharsets.UTF_16LE);
        byte[] utf16be = json.getBytes(java.nio.charset.StandardCharsets.UTF_16BE);

        for (byte[] bytes : java.util.List.of(concat(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, utf8),
                concat(new byte[]{(byte) 0xFF, (byte) 0xFE}, utf16le),
                concat(new byte[]{(byte) 0xFE, (byte) 0xFF}, utf16be))) {
            Path file = Files.createTempFile(dir, "directory", ".json");
            Files.write(file, bytes);
            DirectoryFileSource source = new DirectoryFileSource(file);
            for (int read = 0; read < 2; read++) {
                Directory directory = source.read();
                assertThat(directory.users()).extracting(u -> u.attributes().get("displayName"))
                        .isEqualTo(plain.users().stream().map(u -> u.attributes().get("displayName")).toList())
                        .contains("Zoë Ångström");
                assertThat(directory.users().get(1).attributes()).containsEntry("surname", "Ōta");
                assertThat(directory.groups()).extracting(Directory.SourceGroup::displayName)
                        .containsExactly("Équipe");
                assertThat(directory.assignmentsByUser()).isEqualTo(plain.assignmentsByUser());
            }
        }
    }

    /**
     * A file in a Windows "ANSI" code page (here windows-1252, where {@code ë} is the one byte E9) is not UTF-8: it is
     * refused with a message naming the file, the line of the first byte that is not UTF-8, and what to save it as;
     * not taken as "not valid JSON" at some column.
     */
    @Test
    void aFileInAnAnsiCodePageIsRefusedNamingTheFileTheEncodingAndThePlace() throws Exception {
        String json = "{\"users\": [\n{\"id\": \"u1\", \"userPrincipalName\": \"a@x.test\", \"displayName\": "
                + "\"Zoë\"}]}";
        Path ansi = Files.createTempFile(dir, "directory", ".json");
        Files.write(ansi, json.getBytes(java.nio.charset.Charset.forName("windows-1252")));

        assertThatThrownBy(() -> new DirectoryFileSource(ansi).read()).isInstanceOf(SourceException.class)
                .hasMessage("directory file " + ansi + " is not UTF-8 text (line 2): save it as UTF-8 (with or "
                        + "without a byte order mark) or as UTF-16 with a byte order mark");
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] all = java.util.Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }

    @Test
    void aFileLargerThanTheLimitIsNotRead() throws Exception {
        Path file = write(TestDirectories.users(200));
        var limits = new DirectoryFileSource.Limits(Optional.empty(), 1024);

        assertThatThrownBy(() -> new DirectoryFileSource(file, limits).read())
                .hasMessageContaining("larger than detector.directory-file.max-size (1024 bytes)");
    }

    @Test
    void aFileMustResolveInsideTheDirectoryRootAndOutsideItsExistenceIsNotTold() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Path secret = Files.writeString(outside.resolve("secret.json"), "{\"users\": [{\"id\": \"x\"}]}");
        Files.createSymbolicLink(root.resolve("link.json"), secret);
        Files.createSymbolicLink(root.resolve("dangling.json"), outside.resolve("nothing.json"));
        Files.createSymbolicLink(root.resolve("elsewhere"), outside);
        Path inside = Files.writeString(root.resolve("directory.json"), "{\"users\": [{\"id\": \"u1\"}]}");
        var limits = new DirectoryFileSource.Limits(Optional.of(root), 1024 * 1024);

        assertThat(new DirectoryFileSource(inside, limits).read().users()).hasSize(1);
        assertThatThrownBy(() -> new DirectoryFileSource(root.resolve("missing.json"), limits).read())
                .hasMessageEndingWith("does not exist");
        String refused = "does not resolve to a file inside detector.directory-root " + root + ": it is not read";
        for (Path path : new Path[]{secret, outside.resolve("nothing.json"), root.resolve("link.json"),
                root.resolve("dangling.json"), root.resolve("elsewhere/secret.json"),
                root.resolve("elsewhere/nothing.json"), root.resolve("../outside/secret.json")}) {
            assertThatThrownBy(() -> new DirectoryFileSource(path, limits).read()).as(path.toString())
                    .hasMessageEndingWith(refused);
        }
    }

    @Test
    void aVersionIsOneLookAtTheFileThatARenameOrAWriteChangesAndThatTellsNothingOutsideTheRoot() throws Exception {
        Path root = Files.createDirectories(dir.resolve("watched"));
        Path file = Files.writeString(root.resolve("directory.json"), "{\"users\": [{\"id\": \"u1\"}]}");
        var limits = new DirectoryFileSource.Limits(Optional.of(root), 1024 * 1024);
        DirectoryFileSource source = new DirectoryFileSource(file, limits);

        DirectoryFileSource.Version first = source.version().orElseThrow();
        assertThat(first.size()).isEqualTo(Files.size(file));
        assertThat(source.version()).as("nothing changed").contains(first);

        // the same bytes, written to another file and renamed over it: another file, so another version
        Path next = Files.writeString(root.resolve("directory.json.next"), Files.readString(file));
        Files.setLastModifiedTime(next, first.modified());
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        DirectoryFileSource.Version renamed = source.version().orElseThrow();
        assertThat(renamed.size()).isEqualTo(first.size());
        assertThat(renamed.modified()).isEqualTo(first.modified());
        assertThat(renamed).isNotEqualTo(first);

        // written in place: another size
        Files.writeString(file, "{\"users\": [{\"id\": \"u1\"}, {\"id\": \"u2\"}]}");
        assertThat(source.version()).isPresent().get().isNotEqualTo(renamed);

        // missing, or outside the root (through a link): the same answer, nothing read
        Path outside = Files.writeString(Files.createDirectories(dir.resolve("outside")).resolve("secret.json"), "{}");
        Files.createSymbolicLink(root.resolve("link.json"), outside);
        assertThat(new DirectoryFileSource(root.resolve("missing.json"), limits).version()).isEmpty();
        assertThat(new DirectoryFileSource(root.resolve("link.json"), limits).version()).isEmpty();
        assertThat(new DirectoryFileSource(outside, limits).version()).isEmpty();
        assertThat(new DirectoryFileSource(root, limits).version()).as("a directory").isEmpty();
    }

    private Path write(String json) throws Exception {
        Path file = Files.createTempFile(dir, "directory", ".json");
        Files.writeString(file, json);
        return file;
    }
}
