package dev.provisioning.detector.source;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

import dev.provisioning.events.Assignment;
import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;

/**
 * Reads a directory from a JSON file, re-read at every cycle. The format is published as a JSON Schema,
 * {@code directory.schema.json} (in the service's resources, {@link DirectorySchema}):
 *
 * <pre>
 * {"users": [{"id": "...", "userPrincipalName": "...", "mail": "...", "accountEnabled": true, ...}],
 *  "groups": [{"id": "...", "displayName": "...", "members": ["userId", ...]}],
 *  "assignments": [{"principalId": "...", "principalType": "User|Group", "appRoleId": "..."}],
 *  "appRoles": [{"id": "...", "value": "Admin", "displayName": "Administrator"}]}
 * </pre>
 *
 * User attributes keep Entra's (Graph's) names. A user with {@code deletedDateTime} set is soft-deleted; a user that
 * disappears from the file is hard-deleted. Keys starting with {@code _} are comments, at any level.
 *
 * <p>
 * Strict: a file that does not match the schema (an unknown top-level key such as {@code "Users"}, no {@code users},
 * a wrong type) fails the read with the JSON pointer of each problem, so the cycle sends nothing. Dangling references
 * (group members and assignments that name no object, assignments of a role that {@code appRoles} does not define)
 * are dropped and reported as {@link Directory.Problem.Kind#DanglingReference}s.
 *
 * <p>
 * Bounded: the file is streamed (Jackson's streaming parser; one user, group or assignment in memory as a tree at a
 * time, each validated against its part of the schema), and a file larger than the size limit is refused. With a
 * directory root, the file must resolve inside it after symbolic links; the error then says neither what the file
 * holds nor whether a file outside the root exists.
 */
public final class DirectoryFileSource implements DirectorySource {

    /** Schema violations reported at most, then the read stops. */
    static final int MAX_ERRORS = 20;
    /** Missing member ids named at most in one group's warning. */
    static final int MAX_IDS_NAMED = 10;

    private final Path file;
    private final Limits limits;

    /**
     * Where directory files may be and how large they may be.
     *
     * @param root the directory every file must resolve into, when set ({@code detector.directory-root})
     * @param maxBytes the largest file read ({@code detector.directory-file.max-size})
     */
    public record Limits(Optional<Path> root, long maxBytes) {

        /** No root, and 256 MB. */
        public static final Limits DEFAULT = new Limits(Optional.empty(), 256L * 1024 * 1024);
    }

    public DirectoryFileSource(Path file) {
        this(file, Limits.DEFAULT);
    }

    public DirectoryFileSource(Path file, Limits limits) {
        this.file = file;
        this.limits = limits;
    }

    @Override
    public Uni<Directory> load() {
        return Uni.createFrom().item(this::read).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    @Override
    public Directory read() {
        Path real = confined();
        try {
            if (Files.size(real) > limits.maxBytes()) {
                throw tooLarge();
            }
        } catch (IOException e) {
            throw new SourceException("directory file " + file + " cannot be read: " + e.getClass().getSimpleName());
        }
        try (InputStream in = new Bounded(Files.newInputStream(real), limits.maxBytes());
                JsonParser parser = Json.mapper().getFactory().createParser(in)) {
            return new Reading(parser).read();
        } catch (TooLarge e) {
            throw tooLarge();
        } catch (JsonProcessingException e) {
            // the parser's own message quotes the file's text: say only where
            throw new SourceException("directory file " + file + " is not valid JSON"
                    + (e.getLocation() == null
                            ? ""
                            : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()
                                    + ")"));
        } catch (IOException e) {
            throw new SourceException("directory file " + file + " cannot be read: " + e.getClass().getSimpleName());
        }
    }

    /**
     * Which version of a file a look at it found, without reading it: its size, its modification time and its file key
     * (on Linux the device and inode, so a file replaced by a rename is another version even with the same size and
     * time; null where the platform has none).
     *
     * @param size bytes
     * @param modified the modification time, at the file system's resolution
     * @param fileKey what identifies the file on its file system ({@link BasicFileAttributes#fileKey()}), or null
     */
    public record Version(long size, FileTime modified, Object fileKey) {
    }

    /**
     * The file's version now ({@link Version}): one look at its attributes (after the same checks as a read: inside the
     * directory root, a regular file), never its content. Empty when the file cannot be read (missing, outside the
     * root, not a regular file, its attributes unreadable), which is a version too: the answer does not say which.
     * Never fails.
     */
    public Optional<Version> version() {
        try {
            BasicFileAttributes attributes = Files.readAttributes(confined(), BasicFileAttributes.class);
            return attributes.isRegularFile()
                    ? Optional.of(new Version(attributes.size(), attributes.lastModifiedTime(), attributes.fileKey()))
                    : Optional.empty();
        } catch (SourceException | IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    private SourceException tooLarge() {
        return new SourceException("directory file " + file + " is larger than detector.directory-file.max-size ("
                + limits.maxBytes() + " bytes): it is not read");
    }

    /**
     * The file's real path, after symbolic links, if it may be read. Outside the root, the answer is the same whether
     * or not the file exists.
     */
    private Path confined() {
        Path path = file.toAbsolutePath().normalize();
        if (limits.root().isEmpty()) {
            try {
                return path.toRealPath();
            } catch (NoSuchFileException e) {
                throw missing();
            } catch (IOException e) {
                throw new SourceException(
                        "directory file " + file + " cannot be read: " + e.getClass().getSimpleName());
            }
        }
        Path lexicalRoot = limits.root().get().toAbsolutePath().normalize();
        Path realRoot;
        try {
            realRoot = lexicalRoot.toRealPath();
        } catch (IOException e) {
            throw new SourceException("detector.directory-root " + lexicalRoot + " is not a readable directory");
        }
        if (!path.startsWith(lexicalRoot) && !path.startsWith(realRoot)) {
            throw outside();
        }
        Path real;
        try {
            real = path.toRealPath();
        } catch (NoSuchFileException e) {
            throw throughLink(path, path.startsWith(lexicalRoot) ? lexicalRoot : realRoot) ? outside() : missing();
        } catch (IOException e) {
            throw outside();
        }
        if (!real.startsWith(realRoot)) {
            throw outside();
        }
        if (!Files.isRegularFile(real)) {
            throw new SourceException("directory file " + file + " is not a regular file");
        }
        return real;
    }

    /** Whether the way from the root to the (missing) file passes a symbolic link, which may lead anywhere. */
    private static boolean throughLink(Path path, Path root) {
        Path at = root;
        for (Path part : root.relativize(path)) {
            at = at.resolve(part);
            if (Files.isSymbolicLink(at)) {
                return true;
            }
            if (!Files.exists(at, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
        }
        return false;
    }

    private SourceException missing() {
        return new SourceException("directory file " + file + " does not exist");
    }

    private SourceException outside() {
        return new SourceException("directory file " + file + " does not resolve to a file inside "
                + "detector.directory-root " + limits.root().orElseThrow() + ": it is not read");
    }

    /** One read of the file: the parser, what has been read, and the problems found. */
    private final class Reading {

        private final JsonParser parser;
        private final ObjectNode skeleton = Json.mapper().createObjectNode();
        private final List<String> errors = new ArrayList<>();
        private final List<Directory.SourceUser> users = new ArrayList<>();
        private final Map<String, Integer> userIndex = new HashMap<>();
        private final List<Directory.SourceGroup> groups = new ArrayList<>();
        private final Map<String, Integer> groupIndex = new HashMap<>();
        private final List<JsonNode> assignments = new ArrayList<>();
        private final Map<String, Directory.AppRole> appRoles = new LinkedHashMap<>();
        private boolean appRolesGiven;

        Reading(JsonParser parser) {
            this.parser = parser;
        }

        Directory read() throws IOException {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw invalid(List.of("(root): must be a JSON object with users, groups, assignments and appRoles"));
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME && errors.size() < MAX_ERRORS) {
                String key = parser.currentName();
                JsonToken value = parser.nextToken();
                if (value == JsonToken.START_ARRAY && DirectorySchema.ARRAYS.contains(key)) {
                    skeleton.putArray(key);
                    elements(key);
                } else if (value == JsonToken.START_OBJECT) {
                    // its content does not matter: the schema refuses it by its key or its type
                    parser.skipChildren();
                    skeleton.putObject(key);
                } else if (value == JsonToken.START_ARRAY) {
                    parser.skipChildren();
                    skeleton.putArray(key);
                } else {
                    skeleton.set(key, Json.mapper().readTree(parser));
                }
            }
            if (errors.size() < MAX_ERRORS) {
                errors.addAll(0, DirectorySchema.validate(DirectorySchema.Part.ROOT, skeleton, ""));
            }
            if (!errors.isEmpty()) {
                throw invalid(errors);
            }
            List<Directory.Problem> problems = new ArrayList<>();
            danglingMembers(problems);
            List<Directory.SourceAssignment> known = knownAssignments(problems);
            return new Directory(users, groups, known, appRoles, problems);
        }

        private void elements(String key) throws IOException {
            DirectorySchema.Part part = DirectorySchema.Part.of(key);
            int index = 0;
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                JsonNode element = Json.mapper().readTree(parser);
                String pointer = "/" + key + "/" + index;
                List<String> invalid = DirectorySchema.validate(part, element, pointer);
                if (invalid.isEmpty()) {
                    take(part, element, pointer);
                } else {
                    errors.addAll(invalid);
                }
                if (errors.size() >= MAX_ERRORS) {
                    return;
                }
                index++;
            }
        }

        private void take(DirectorySchema.Part part, JsonNode node, String pointer) {
            switch (part) {
                case USER -> user(node, pointer);
                case GROUP -> group(node, pointer);
                case ASSIGNMENT -> assignments.add(((ObjectNode) node.deepCopy()).put("_pointer", pointer));
                case APP_ROLE -> {
                    appRolesGiven = true;
                    String id = node.get("id").textValue();
                    appRoles.put(id, new Directory.AppRole(id, text(node, "value"), text(node, "displayName")));
                }
                default -> throw new IllegalStateException("no elements of " + part);
            }
        }

        private void user(JsonNode node, String pointer) {
            String id = node.get("id").textValue();
            Integer first = userIndex.putIfAbsent(id, users.size());
            if (first != null) {
                errors.add(pointer + "/id: the same id as /users/" + first);
                return;
            }
            Map<String, Object> attributes = new LinkedHashMap<>();
            node.fields().forEachRemaining(f -> {
                Object value = value(f.getValue());
                if (value != null && !f.getKey().startsWith("_")) {
                    attributes.put(f.getKey(), value);
                }
            });
            users.add(new Directory.SourceUser(id, attributes));
        }

        private void group(JsonNode node, String pointer) {
            String id = node.get("id").textValue();
            Integer first = groupIndex.putIfAbsent(id, groups.size());
            if (first != null) {
                errors.add(pointer + "/id: the same id as /groups/" + first);
                return;
            }
            List<String> members = new ArrayList<>();
            node.path("members").forEach(m -> members.add(m.textValue()));
            groups.add(new Directory.SourceGroup(id, text(node, "displayName"), members));
        }

        /** Members naming neither a user nor a group (a member group is a nested group, not followed, not wrong). */
        private void danglingMembers(List<Directory.Problem> problems) {
            for (Directory.SourceGroup g : groups) {
                List<String> missing = g.members().stream()
                        .filter(m -> !userIndex.containsKey(m) && !groupIndex.containsKey(m)).distinct().toList();
                if (!missing.isEmpty()) {
                    problems.add(new Directory.Problem(Directory.Problem.Kind.DanglingReference, g.id(),
                            ObjectType.GROUP, missing.size() + " member(s) of group " + g.id() + " (/groups/"
                                    + groupIndex.get(g.id()) + "/members) name no user or group of the directory "
                                    + "file: " + String.join(", ", missing.subList(0,
                                            Math.min(missing.size(), MAX_IDS_NAMED)))
                                    + (missing.size() > MAX_IDS_NAMED ? ", ..." : "")));
                }
            }
        }

        /**
         * The assignments whose principal is in the file; the others are dangling references (Graph too keeps
         * assignments of deleted principals for a while; they reach nobody).
         */
        private List<Directory.SourceAssignment> knownAssignments(List<Directory.Problem> problems) {
            List<Directory.SourceAssignment> known = new ArrayList<>();
            for (JsonNode a : assignments) {
                String pointer = a.get("_pointer").textValue();
                String principal = a.get("principalId").textValue();
                Directory.PrincipalType type = Directory.PrincipalType.valueOf(a.get("principalType").textValue());
                String role = a.get("appRoleId").textValue();
                ObjectType objectType = type == Directory.PrincipalType.User ? ObjectType.USER : ObjectType.GROUP;
                boolean present = type == Directory.PrincipalType.User
                        ? userIndex.containsKey(principal)
                        : groupIndex.containsKey(principal);
                if (!present) {
                    problems.add(new Directory.Problem(Directory.Problem.Kind.DanglingReference, principal, objectType,
                            "the assignment " + pointer + " names " + type + " " + principal
                                    + ", which is not in the directory file: it reaches nobody"));
                    continue;
                }
                if (appRolesGiven && !appRoles.containsKey(role) && !Assignment.DEFAULT_ACCESS.equals(role)) {
                    problems.add(new Directory.Problem(Directory.Problem.Kind.DanglingReference, principal, objectType,
                            "the assignment " + pointer + " names app role " + role + ", which appRoles does not "
                                    + "define: the role is known by its id only"));
                }
                known.add(new Directory.SourceAssignment(principal, type, role));
            }
            return known;
        }

        private SourceException invalid(List<String> problems) {
            return new SourceException("directory file " + file + " does not match the directory schema "
                    + "(directory.schema.json), nothing is sent: " + String.join("; ", problems)
                    + (problems.size() >= MAX_ERRORS ? "; (reading stopped after " + MAX_ERRORS + " problems)" : ""));
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    /** An attribute as the mapping engine takes it (the schema allows nothing else). */
    private static Object value(JsonNode node) {
        if (node.isNull()) {
            return null;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            return node.longValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isArray()) {
            List<String> values = new ArrayList<>();
            node.forEach(v -> values.add(v.asText()));
            return values;
        }
        return node.asText();
    }

    /** Fails a read that goes past the size limit (the file grew after its size was checked). */
    private static final class Bounded extends FilterInputStream {

        private final long max;
        private long read;

        Bounded(InputStream in, long max) {
            super(in);
            this.max = max;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) throws TooLarge {
            read += n;
            if (read > max) {
                throw new TooLarge();
            }
        }
    }

    private static final class TooLarge extends IOException {

        TooLarge() {
            super("the directory file is larger than its limit", null);
        }
    }
}
