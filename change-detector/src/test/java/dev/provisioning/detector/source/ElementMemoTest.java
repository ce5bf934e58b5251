package dev.provisioning.detector.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.provisioning.detector.cycle.CyclePlan;
import dev.provisioning.detector.cycle.CyclePlanner;
import dev.provisioning.detector.persistence.SnapshotRepository.Snapshot;
import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.job.ProvisioningScope;

/**
 * The directory file's element memo (issue 13, F2): reads that reuse the elements a previous read validated and parsed
 * give the same directory, and the same cycle plans, as a cold read of the same file, through hundreds of random edits
 * of every kind (each kind at least {@value #EACH_KIND_AT_LEAST} times); a file that cannot be read fails the read and
 * leaves the memo as the last good read left it. The directory is a few hundred users: its size is not what this
 * proves (a memo entry depends on its element's bytes only), and each step reads and plans it twice.
 */
class ElementMemoTest {

    private static final Instant NOW = Instant.parse("2026-12-02T08:00:00Z");
    /** Random edits, one per step after the first. */
    private static final int STEPS = 300;
    /** How often each of the nine kinds of edit is made, at least, in {@link #STEPS} steps. */
    private static final int EACH_KIND_AT_LEAST = 20;

    @TempDir
    Path dir;

    private final Random random = new Random(13);
    private final List<Map<String, Object>> users = new ArrayList<>();
    private final List<Map<String, Object>> groups = new ArrayList<>();
    private final List<Map<String, Object>> assignments = new ArrayList<>();
    private final List<Map<String, Object>> appRoles = new ArrayList<>();
    private final int[] edits = new int[9];
    private int next;

    @Test
    void readsWithTheMemoPlanAsColdReadsThroughRandomEditsAndSurviveBrokenFiles() throws Exception {
        for (int r = 0; r < 4; r++) {
            appRoles.add(new LinkedHashMap<>(Map.of("id", "r" + r, "value", "Role" + r, "displayName", "Role " + r)));
        }
        for (int i = 0; i < 300; i++) {
            users.add(newUser());
        }
        for (int g = 0; g < 20; g++) {
            List<String> members = new ArrayList<>();
            for (int m = 0; m < 30; m++) {
                members.add(randomUserId());
            }
            groups.add(new LinkedHashMap<>(Map.of("id", "g" + g, "displayName", "Group " + g, "members", members)));
            if (g % 2 == 0) {
                assignments.add(assignment("g" + g, "Group"));
            }
        }
        for (int a = 0; a < 100; a++) {
            assignments.add(assignment(randomUserId(), "User"));
        }
        Path file = dir.resolve("directory.json");
        ElementMemo memo = new ElementMemo(file);
        DirectoryFileSource memoised = new DirectoryFileSource(file, DirectoryFileSource.Limits.DEFAULT, memo);
        Snapshot snapshot = Snapshot.EMPTY;
        Directory previous = null;
        int broken = 0;
        for (int step = 0; step < STEPS; step++) {
            String edit = step == 0 ? "initial" : edit();
            write(file);
            Directory warm = memoised.read();
            Directory cold = new DirectoryFileSource(file).read();
            assertThat(warm).as("after %s (step %d)", edit, step).isEqualTo(cold);
            assertThat(memo.size()).as("the memo holds this read's elements only")
                    .isLessThanOrEqualTo(users.size() + groups.size() + assignments.size() + appRoles.size());
            if (previous != null) {
                assertUnchangedUsersReused(previous, warm);
            }
            boolean full = step % 100 == 0;
            CyclePlan planned = plan(warm, snapshot, full, step);
            CyclePlan coldPlan = plan(cold, snapshot, full, step);
            // a plan holds each event as a supplier (built as it is sent): compare what it builds and what it moves
            assertThat(planned.events()).as("the plan's events after %s (step %d)", edit, step)
                    .isEqualTo(coldPlan.events());
            assertThat(List.of(planned.snapshotUpserts(), planned.snapshotNames(), planned.snapshotRemovals()))
                    .as("the plan's snapshot changes after %s (step %d)", edit, step)
                    .isEqualTo(List.of(coldPlan.snapshotUpserts(), coldPlan.snapshotNames(),
                            coldPlan.snapshotRemovals()));
            snapshot = apply(snapshot, planned);
            previous = warm;

            if (step % 40 == 20) {
                int size = memo.size();
                byte[] good = Files.readAllBytes(file);
                Files.write(file, java.util.Arrays.copyOf(good, good.length / 2 + random.nextInt(good.length / 3)));
                assertThatThrownBy(memoised::read).isInstanceOf(SourceException.class)
                        .hasMessageContaining("is not valid JSON");
                users.get(random.nextInt(users.size())).put("accountEnabled", "not a boolean");
                write(file);
                assertThatThrownBy(memoised::read).isInstanceOf(SourceException.class)
                        .hasMessageContaining("/accountEnabled");
                users.forEach(u -> u.put("accountEnabled", true));
                assertThat(memo.size()).as("a failed read leaves the memo as it was").isEqualTo(size);
                broken++;
            }
        }
        assertThat(broken).as("broken files, every 40th step from the 20th").isEqualTo(7);
        assertThat(java.util.Arrays.stream(edits).min().orElseThrow()).as("the fewest edits of one kind")
                .isGreaterThanOrEqualTo(EACH_KIND_AT_LEAST);
    }

    /**
     * Issue 13: a read of the file as the last good read found it (the first cycle's follow-up, a scheduled cycle) gives
     * that read's directory again, parsing nothing and building no second copy of its tables; a file rewritten in place
     * at the same size and modification time has other bytes, and is read; so is a file changed the ordinary way.
     */
    @Test
    void anUnchangedFileGivesTheLastReadAgainAndAnyChangedByteIsRead() throws Exception {
        appRoles.add(new LinkedHashMap<>(Map.of("id", "r0", "value", "Role0", "displayName", "Role 0")));
        for (int i = 0; i < 50; i++) {
            users.add(newUser());
        }
        groups.add(new LinkedHashMap<>(Map.of("id", "g0", "displayName", "Group 0", "members",
                new ArrayList<>(List.of("u1", "u2", "u3")))));
        assignments.add(new LinkedHashMap<>(Map.of("principalId", "g0", "principalType", "Group", "appRoleId", "r0")));
        Path file = dir.resolve("directory.json");
        write(file);
        DirectoryFileSource source = new DirectoryFileSource(file, DirectoryFileSource.Limits.DEFAULT,
                new ElementMemo(file));
        Directory first = source.read();
        assertThat(source.read()).as("the unchanged file gives the last read's directory").isSameAs(first);

        FileTime modified = Files.getLastModifiedTime(file);
        long size = Files.size(file);
        users.get(3).put("displayName", "Resu 3");
        write(file);
        Files.setLastModifiedTime(file, modified);
        assertThat(Files.size(file)).as("rewritten at the same size").isEqualTo(size);
        assertThat(Files.getLastModifiedTime(file)).as("and the same time").isEqualTo(modified);
        Directory rewritten = source.read();
        assertThat(rewritten.users().get(3).attributes().get("displayName")).isEqualTo("Resu 3");
        assertThat(rewritten).isEqualTo(new DirectoryFileSource(file).read());
        assertThat(source.read()).as("unchanged since").isSameAs(rewritten);

        users.get(4).put("department", "Sales");
        write(file);
        Directory changed = source.read();
        assertThat(changed.users().get(4).attributes().get("department")).isEqualTo("Sales");
        assertThat(changed).isEqualTo(new DirectoryFileSource(file).read());

        // a file that fails to read keeps nothing: its good content written back is read (or given) as before
        Files.writeString(file, "{\"users\": [", StandardCharsets.UTF_8);
        assertThatThrownBy(source::read).isInstanceOf(SourceException.class).hasMessageContaining("is not valid JSON");
        write(file);
        assertThat(source.read()).isEqualTo(changed);
    }

    /**
     * The check that an unchanged file's read is given again looks at where the bytes are, not only which: two users of
     * the same length swapped, the file rewritten in place at the same size and modification time, is read in its new
     * order (the same elements, each reused from the memo); so is a swap back.
     */
    @Test
    void aSameSizeSameTimeRewriteThatOnlyMovesElementsIsRead() throws Exception {
        for (int i = 0; i < 20; i++) {
            users.add(newUser());
        }
        Path file = dir.resolve("directory.json");
        write(file);
        DirectoryFileSource source = new DirectoryFileSource(file, DirectoryFileSource.Limits.DEFAULT,
                new ElementMemo(file));
        Directory first = source.read();
        FileTime modified = Files.getLastModifiedTime(file);
        long size = Files.size(file);

        Collections.swap(users, 11, 12);
        write(file);
        Files.setLastModifiedTime(file, modified);
        assertThat(Files.size(file)).as("rewritten at the same size").isEqualTo(size);
        Directory swapped = source.read();
        assertThat(swapped).as("read, not given again").isNotSameAs(first);
        assertThat(swapped.users().get(11).id()).isEqualTo(first.users().get(12).id());
        assertThat(swapped.users().get(12).id()).isEqualTo(first.users().get(11).id());
        assertThat(swapped).isEqualTo(new DirectoryFileSource(file).read());
        assertThat(swapped.users().get(11)).as("the element reused").isSameAs(first.users().get(12));

        Collections.swap(users, 11, 12);
        write(file);
        Files.setLastModifiedTime(file, modified);
        Directory back = source.read();
        assertThat(back).isNotSameAs(swapped).isEqualTo(first);
        assertThat(source.read()).as("unchanged since").isSameAs(back);
    }

    /**
     * A NUL character (JSON's {@code \u0000}; PostgreSQL refuses it) in a user's or a group's text is replaced by
     * U+FFFD as the element is parsed and reported as a ValueReplaced problem naming the object and the attribute. A
     * read that reuses the element from the memo gives the same instance (so the cycle planner's reuse holds) and
     * reports the replacement again, as a cold read does; references to a replaced id still name it.
     */
    @Test
    void aNulCharacterIsReplacedAndReportedAtEveryReadAndTheElementIsReused() throws Exception {
        Path file = dir.resolve("directory.json");
        String directory = """
                {"users": [{"id": "u1", "displayName": "Ann\\u0000Lee", "otherMails": ["a\\u0000@x.test"],
                            "accountEnabled": true},
                           {"id": "u\\u00002", "displayName": "Bob", "accountEnabled": true}],
                 "groups": [{"id": "g1", "displayName": "Sales\\u0000", "members": ["u1", "u\\u00002"]}],
                 "assignments": [{"principalId": "u\\u00002", "principalType": "User", "appRoleId": "r1"}]}
                """;
        Files.writeString(file, directory);
        DirectoryFileSource source = new DirectoryFileSource(file, DirectoryFileSource.Limits.DEFAULT,
                new ElementMemo(file));
        Directory first = source.read();

        Directory.SourceUser ann = first.users().get(0);
        assertThat(ann.attributes()).containsEntry("displayName", "Ann\uFFFDLee")
                .containsEntry("otherMails", List.of("a\uFFFD@x.test"));
        assertThat(first.users().get(1).id()).isEqualTo("u\uFFFD2");
        assertThat(first.groups().get(0).displayName()).isEqualTo("Sales\uFFFD");
        assertThat(first.groups().get(0).members()).containsExactly("u1", "u\uFFFD2");
        assertThat(first.assignments()).singleElement()
                .satisfies(a -> assertThat(a.principalId()).isEqualTo("u\uFFFD2"));
        assertThat(first.problems()).as("no dangling reference: the references are replaced alike")
                .extracting(Directory.Problem::kind).containsOnly(Directory.Problem.Kind.ValueReplaced);
        assertThat(first.problems()).extracting(Directory.Problem::objectId, Directory.Problem::objectType)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("u1", ObjectType.USER),
                        org.assertj.core.groups.Tuple.tuple("u1", ObjectType.USER),
                        org.assertj.core.groups.Tuple.tuple("u\uFFFD2", ObjectType.USER),
                        org.assertj.core.groups.Tuple.tuple("g1", ObjectType.GROUP));
        assertThat(first.problems().get(0).detail()).contains("user u1", "/users/0", "displayName", "U+FFFD")
                .doesNotContain("\u0000");
        assertThat(first.problems().get(1).detail()).contains("otherMails");
        assertThat(first.problems().get(2).detail()).contains("value of id");
        assertThat(first).isEqualTo(new DirectoryFileSource(file).read());

        // another user changes: the file is read again, Ann's element comes from the memo
        Files.writeString(file, directory.replace("\"Bob\"", "\"Bobby\""));
        Directory second = source.read();
        assertThat(second.users().get(0)).isSameAs(ann);
        assertThat(second.problems()).isEqualTo(first.problems());
        assertThat(second).isEqualTo(new DirectoryFileSource(file).read());
    }

    /** Users whose element did not change come from the memo: the same object as the previous read's. */
    private static void assertUnchangedUsersReused(Directory previous, Directory now) {
        Map<String, Directory.SourceUser> before = new HashMap<>();
        previous.users().forEach(u -> before.put(u.id(), u));
        int reused = 0;
        for (Directory.SourceUser user : now.users()) {
            Directory.SourceUser old = before.get(user.id());
            if (old != null && old.attributes().equals(user.attributes())) {
                assertThat(user).isSameAs(old);
                reused++;
            }
        }
        assertThat(reused).isGreaterThan(now.users().size() / 2);
    }

    private static CyclePlan plan(Directory directory, Snapshot snapshot, boolean full, int step) {
        return CyclePlanner.plan("job", "c" + step, full, ProvisioningScope.ASSIGNED_ONLY, directory, snapshot,
                Map.of(), NOW);
    }

    private static Snapshot apply(Snapshot snapshot, CyclePlan plan) {
        Map<String, String> users = new HashMap<>(snapshot.users());
        Map<String, String> groups = new HashMap<>(snapshot.groups());
        Map<String, String> names = new HashMap<>(snapshot.names());
        users.putAll(plan.snapshotUpserts().getOrDefault(ObjectType.USER, Map.of()));
        groups.putAll(plan.snapshotUpserts().getOrDefault(ObjectType.GROUP, Map.of()));
        names.putAll(plan.snapshotNames());
        plan.snapshotRemovals().forEach(id -> {
            users.remove(id);
            groups.remove(id);
            names.remove(id);
        });
        return new Snapshot(users, groups, names);
    }

    /** One random edit of the file's content; returns what it was. */
    @SuppressWarnings("unchecked")
    private String edit() {
        int kind = random.nextInt(9);
        edits[kind]++;
        Map<String, Object> user = users.get(random.nextInt(users.size()));
        switch (kind) {
            case 0 -> user.put("department", "Dept " + random.nextInt(1000));
            case 1 -> user.put("deletedDateTime", "2026-12-0" + (1 + random.nextInt(2)) + "T10:00:00Z");
            case 2 -> users.remove(user);
            case 3 -> users.add(random.nextInt(users.size() + 1), newUser());
            case 4 -> {
                List<String> members = (List<String>) groups.get(random.nextInt(groups.size())).get("members");
                if (random.nextBoolean() && !members.isEmpty()) {
                    members.remove(random.nextInt(members.size()));
                } else {
                    members.add(randomUserId());
                }
            }
            case 5 -> {
                if (random.nextBoolean()) {
                    assignments.remove(random.nextInt(assignments.size()));
                } else {
                    assignments.add(random.nextInt(assignments.size() + 1),
                            random.nextInt(5) == 0
                                    ? assignment("g" + random.nextInt(groups.size()), "Group")
                                    : assignment(randomUserId(), "User"));
                }
            }
            case 6 -> appRoles.get(random.nextInt(appRoles.size())).put("displayName", "Role v" + random.nextInt(99));
            case 7 -> {
                int i = random.nextInt(users.size());
                int j = random.nextInt(users.size());
                users.set(i, users.set(j, users.get(i)));
                java.util.Collections.swap(groups, random.nextInt(groups.size()), random.nextInt(groups.size()));
            }
            default -> {
                user.put("_note", "a comment " + random.nextInt(10));
                user.put("extensionAttribute1", (long) random.nextInt(1_000_000));
                user.put("extensionAttribute2", List.of(1L, 2.5, true));
                user.put("score", random.nextDouble());
                user.put("otherMails", List.of("o" + random.nextInt(9) + "@x.test", "p@x.test"));
            }
        }
        return List.of("attribute change", "soft delete", "removal", "addition", "membership change",
                "assignment change", "appRoles change", "reorder", "comment and typed attributes").get(kind);
    }

    private Map<String, Object> newUser() {
        int n = next++;
        Map<String, Object> user = new LinkedHashMap<>();
        user.put("id", "u" + n);
        user.put("userPrincipalName", "user" + n + "@x.test");
        user.put("displayName", "User " + n + (n % 7 == 0 ? " \u00e9\u4e2d \"q\"" : ""));
        user.put("mail", "user" + n + "@x.test");
        user.put("accountEnabled", true);
        return user;
    }

    private String randomUserId() {
        return "u" + random.nextInt(next + 5);
    }

    private Map<String, Object> assignment(String principal, String type) {
        return new LinkedHashMap<>(Map.of("principalId", principal, "principalType", type, "appRoleId",
                "r" + random.nextInt(appRoles.size() + 1)));
    }

    private void write(Path file) throws Exception {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("appRoles", appRoles);
        root.put("users", users);
        root.put("groups", groups);
        root.put("assignments", assignments);
        Files.writeString(file, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(root),
                StandardCharsets.UTF_8);
    }
}
