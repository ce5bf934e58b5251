package dev.provisioning.detector.source;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;

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
import dev.provisioning.events.StorableText;
import dev.provisioning.telemetry.Plural;

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
 * Storable: a NUL character ({@code \u0000}, which JSON allows and PostgreSQL's text and jsonb refuse) in a string is
 * replaced by U+FFFD as the element is parsed ({@link StorableText}), so the snapshot and the log store the object and
 * it is not sent again at every cycle. Each user or group attribute (or id) so changed is reported as a
 * {@link Directory.Problem.Kind#ValueReplaced} naming the object and the attribute, at every read (the memo keeps the
 * element with what was replaced). References (members, assignments) and app roles are replaced alike, silently, so
 * they still name the replaced ids.
 *
 * <p>
 * Encoding: UTF-8, with or without a byte order mark, or UTF-16 (little- or big-endian) with one, as Windows tools
 * save text (Jackson's detection, {@code ByteSourceJsonBootstrapper}, RFC 8259 section 8.1); a UTF-16 file is read
 * without the memo below (Jackson then counts characters, not bytes), every element parsed. A file that is not UTF-8
 * (a Windows "ANSI" code page) is refused naming the file and the line of its first byte that is not.
 *
 * <p>
 * Bounded: the file is streamed (Jackson's streaming parser; one user, group or assignment in memory as a tree at a
 * time, each validated against its part of the schema), and a file larger than the size limit is refused.
 *
 * <p>
 * Incremental: each element of the four arrays is digested from its raw bytes (SHA-256, 128 bits kept), and an element
 * the job's last good read saw ({@link ElementMemo}) is taken as that read validated and parsed it; only new or
 * changed elements are parsed and validated. What spans elements (ids unique, the top level's schema, dangling
 * references) is checked at every read, and the problems and their pointers are the same as without the memo.
 * Users are held compactly ({@link CanonicalAttributes}).
 *
 * <p>
 * Unchanged: a read that finds the file at the version of the job's last good read (size, modification time, file
 * key: {@link Version}) checksums its bytes in one pass (CRC32C, nothing parsed) and, when the checksum is the one of
 * the bytes that read took, gives that read's directory again ({@link ElementMemo.LastRead}). So a cycle that runs on
 * an unchanged file (the first cycle's follow-up, which sends the groups' members once the users' results are in; a
 * scheduled cycle) neither parses it nor builds a second copy of the read's tables while the cycle's snapshot and plan
 * memo are held (issue 13: the detector's peak at 100,000 users). A file rewritten within the file system's time
 * resolution with the same size has other bytes, and is read. The checksum guards against that accident only (the
 * version already tells every ordinary change): CRC32C finds every change within 32 consecutive bits and any other
 * with probability 1 - 2^-32; a cryptographic digest would add nothing against someone who may write the file
 * anyway, and cost every read of a changed file a second pass over its bytes (SHA-256 of the 45 MB file of 100,000
 * users: about 40 ms of CPU, CRC32C about 7; issue 13: the change-to-Druva p99).
 *
 * <p>
 * With a
 * directory root, the file must resolve inside it after symbolic links; the error then says neither what the file
 * holds nor whether a file outside the root exists.
 */
public final class DirectoryFileSource implements DirectorySource {

    /** Reads a big-endian long from a byte array. */
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    /** Schema violations reported at most, then the read stops. */
    static final int MAX_ERRORS = 20;
    /** Missing member ids named at most in one group's warning. */
    static final int MAX_IDS_NAMED = 10;

    private final Path file;
    private final Limits limits;
    private final ElementMemo memo;

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

    /** A source that reads the whole file each time (no memo shared with other reads). */
    public DirectoryFileSource(Path file, Limits limits) {
        this(file, limits, new ElementMemo(file));
    }

    /**
     * A source whose reads reuse what {@code memo} knows of unchanged elements, and leave it with what a good read
     * found ({@link ElementMemo}).
     */
    DirectoryFileSource(Path file, Limits limits, ElementMemo memo) {
        this.file = file;
        this.limits = limits;
        this.memo = memo;
    }

    @Override
    public Uni<Directory> load() {
        return Uni.createFrom().item(this::read).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    @Override
    public Directory read() {
        Path real = confined();
        Version version;
        try {
            BasicFileAttributes attributes = Files.readAttributes(real, BasicFileAttributes.class);
            if (attributes.size() > limits.maxBytes()) {
                throw tooLarge();
            }
            version = new Version(attributes.size(), attributes.lastModifiedTime(), attributes.fileKey());
            ElementMemo.LastRead last = memo.lastRead();
            // the same version: the same content still, unless it was rewritten within the file system's time
            // resolution at the same size, which the content's checksum tells (one pass, nothing parsed nor kept)
            if (last != null && last.version().equals(version) && last.checksum() == checksumOf(real)) {
                return last.directory();
            }
        } catch (TooLarge e) {
            throw tooLarge();
        } catch (IOException e) {
            throw new SourceException("directory file " + file + " cannot be read: " + e.getClass().getSimpleName());
        }
        CRC32C content = new CRC32C();
        try (Retaining in = new Retaining(
                new CheckedInputStream(new Bounded(Files.newInputStream(real), limits.maxBytes()), content));
                JsonParser parser = Json.mapper().getFactory().createParser(in)) {
            Directory directory = new Reading(parser, in).read();
            // what follows the root object (a line end) counts in the content too
            in.stop();
            in.transferTo(OutputStream.nullOutputStream());
            memo.keep(new ElementMemo.LastRead(version, content.getValue(), directory));
            return directory;
        } catch (TooLarge e) {
            throw tooLarge();
        } catch (JsonProcessingException e) {
            // the parser's own message quotes the file's text: say only where
            String where = e.getLocation() == null
                    ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            if (String.valueOf(e.getOriginalMessage()).startsWith("Invalid UTF-8") && e.getLocation() != null) {
                // a Windows "ANSI" code page (windows-1252, ...): a non-ASCII character's byte is not UTF-8; the
                // parser notices it a byte or two after it, so only the line is told
                throw new SourceException("directory file " + file + " is not UTF-8 text (line "
                        + e.getLocation().getLineNr() + "): save it as "
                        + "UTF-8 (with or without a byte order mark) or as UTF-16 with a byte order mark");
            }
            throw new SourceException("directory file " + file + " is not valid JSON" + where);
        } catch (IOException e) {
            throw new SourceException("directory file " + file + " cannot be read: " + e.getClass().getSimpleName());
        }
    }

    /** CRC32C of the file's bytes, read once (up to the size limit), as a read's checksum of its content. */
    private long checksumOf(Path real) throws IOException {
        CRC32C content = new CRC32C();
        try (InputStream in = new CheckedInputStream(new Bounded(Files.newInputStream(real), limits.maxBytes()),
                content)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return content.getValue();
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

    /**
     * One read of the file: the parser, what has been read, and the problems found. Each object element of the four
     * arrays is tokenised only (skipped) and digested from its raw bytes; one the memo knows is reused, validated and
     * parsed already; only the others are parsed, from their bytes, and validated. The checks across elements (ids
     * unique, the root's schema, dangling references) run on every read.
     */
    private final class Reading {

        private final JsonParser parser;
        private final Retaining in;
        private final ElementMemo.Elements known;
        private final ElementMemo.Elements seen;
        private final MessageDigest sha256 = sha256();
        private final byte[] digest = new byte[32];
        /** The last {@link #digest}: its first and second 8 bytes. */
        private long digestHigh;
        private long digestLow;
        private final ObjectNode skeleton = Json.mapper().createObjectNode();
        private final List<String> errors = new ArrayList<>();
        private final List<Directory.SourceUser> users;
        private final IdIndex userIndex;
        private final List<Directory.SourceGroup> groups = new ArrayList<>();
        private final IdIndex groupIndex = new IdIndex(16);
        private final List<Directory.SourceAssignment> assignments = new ArrayList<>();
        private final List<Integer> assignmentIndexes = new ArrayList<>();
        private final Map<String, Directory.AppRole> appRoles = new LinkedHashMap<>();
        private boolean appRolesGiven;
        /** The {@link Directory.Problem.Kind#ValueReplaced} problems of the elements taken, in file order. */
        private final List<Directory.Problem> replacedValues = new ArrayList<>();
        /** The attributes of the element being parsed whose text had a NUL replaced; null while none. */
        private List<String> replacing;

        Reading(JsonParser parser, Retaining in) {
            this.parser = parser;
            this.in = in;
            this.known = memo.elements();
            this.seen = new ElementMemo.Elements(known.size());
            // sized for the last read's elements (most of them users), not grown and rehashed user by user
            this.users = new ArrayList<>(known.size());
            this.userIndex = new IdIndex(known.size());
        }

        Directory read() throws IOException {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw invalid(List.of("(root): must be a JSON object with users, groups, assignments and appRoles"));
            }
            if (offset() < 0) {
                // not UTF-8 (Jackson then counts characters, not bytes): every element is parsed
                in.stop();
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME && errors.size() < MAX_ERRORS) {
                in.retainFrom(offset());
                String key = parser.currentName();
                JsonToken value = parser.nextToken();
                if (value == JsonToken.START_ARRAY && DirectorySchema.ARRAYS.contains(key)) {
                    skeleton.putArray(key);
                    elements(key);
                } else if (value == JsonToken.START_OBJECT) {
                    // its content does not matter: the schema refuses it by its key or its type
                    skip();
                    skeleton.putObject(key);
                } else if (value == JsonToken.START_ARRAY) {
                    skip();
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
            List<Directory.Problem> problems = new ArrayList<>(replacedValues);
            danglingMembers(problems);
            List<Directory.SourceAssignment> knownAssignments = knownAssignments(problems);
            Directory directory = new Directory(users, groups, knownAssignments, appRoles, problems);
            memo.keep(seen);
            return directory;
        }

        /** The byte offset in the file of the current token, or -1 when the parser does not count bytes. */
        private long offset() {
            return parser.currentTokenLocation().getByteOffset();
        }

        /** Skips the current object or array, token by token, keeping none of its bytes. */
        private void skip() throws IOException {
            int depth = 1;
            while (depth > 0) {
                JsonToken token = parser.nextToken();
                if (token == null) {
                    return;
                }
                if (token.isStructStart()) {
                    depth++;
                } else if (token.isStructEnd()) {
                    depth--;
                }
                in.retainFrom(offset());
            }
        }

        private void elements(String key) throws IOException {
            DirectorySchema.Part part = DirectorySchema.Part.of(key);
            int index = 0;
            JsonToken token;
            while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
                long start = offset();
                in.retainFrom(start);
                Object element;
                if (token == JsonToken.START_OBJECT && start >= 0 && in.retaining()) {
                    parser.skipChildren();
                    // just past the element's closing brace
                    int length = (int) (parser.currentLocation().getByteOffset() - start);
                    if (in.buffer()[in.indexOf(start)] != '{' || in.buffer()[in.indexOf(start) + length - 1] != '}') {
                        throw new IllegalStateException(
                                "the parser's byte offsets do not frame " + pointer(key, index));
                    }
                    digest(part, start, length);
                    // most elements are the last read's: one lookup each (seen: the same bytes twice in this read)
                    element = known.get(digestHigh, digestLow);
                    if (element == null) {
                        element = seen.get(digestHigh, digestLow);
                    }
                    if (element == null) {
                        element = parse(part,
                                Json.mapper().readTree(in.buffer(), in.indexOf(start), length), key, index);
                    }
                    if (element != null) {
                        seen.put(digestHigh, digestLow, element);
                    }
                } else {
                    element = parse(part, Json.mapper().readTree(parser), key, index);
                }
                if (element instanceof Replaced replaced) {
                    element = replaced.element();
                    replaced(part, replaced, key, index);
                }
                if (element != null) {
                    take(part, element, key, index);
                }
                if (errors.size() >= MAX_ERRORS) {
                    return;
                }
                index++;
            }
        }

        /** Digests an element's part and bytes into {@link #digestHigh} and {@link #digestLow}. */
        private void digest(DirectorySchema.Part part, long start, int length) {
            sha256.update((byte) part.ordinal());
            sha256.update(in.buffer(), in.indexOf(start), length);
            try {
                sha256.digest(digest, 0, digest.length);
            } catch (DigestException e) {
                throw new IllegalStateException(e);
            }
            digestHigh = (long) LONG.get(digest, 0);
            digestLow = (long) LONG.get(digest, 8);
        }

        /**
         * The validated, parsed form of one element, which depends on its content only; null when it does not match
         * its part of the schema (its problems are added to the read's). An element in which a NUL character was
         * replaced comes as a {@link Replaced}.
         */
        private Object parse(DirectorySchema.Part part, JsonNode node, String key, int index) {
            List<String> invalid = DirectorySchema.validate(part, node, pointer(key, index));
            if (!invalid.isEmpty()) {
                errors.addAll(invalid);
                return null;
            }
            replacing = null;
            Object element = switch (part) {
                case USER -> user(node);
                case GROUP -> {
                    List<String> members = new ArrayList<>();
                    node.path("members").forEach(m -> members.add(Directory.sharedId(StorableText.of(m.textValue()))));
                    yield new Directory.SourceGroup(Directory.sharedId(storable("id", node.get("id").textValue())),
                            storable("displayName", text(node, "displayName")),
                            Collections.unmodifiableList(members));
                }
                case ASSIGNMENT -> new Directory.SourceAssignment(
                        Directory.sharedId(StorableText.of(node.get("principalId").textValue())),
                        Directory.PrincipalType.valueOf(node.get("principalType").textValue()),
                        Directory.sharedId(StorableText.of(node.get("appRoleId").textValue())));
                case APP_ROLE -> new Directory.AppRole(StorableText.of(node.get("id").textValue()),
                        StorableText.of(text(node, "value")), StorableText.of(text(node, "displayName")));
                default -> throw new IllegalStateException("no elements of " + part);
            };
            return replacing == null ? element : new Replaced(element, List.copyOf(replacing));
        }

        private Directory.SourceUser user(JsonNode node) {
            Map<String, Object> attributes = new LinkedHashMap<>();
            node.fields().forEachRemaining(f -> {
                Object value = CanonicalAttributes.value(f.getValue());
                if (value != null && !f.getKey().startsWith("_")) {
                    String name = f.getKey();
                    if (StorableText.hasNul(name)) {
                        name = StorableText.of(name);
                        noteReplaced(name);
                    }
                    attributes.put(name, storable(name, value));
                }
            });
            return new Directory.SourceUser(Directory.sharedId(storable("id", node.get("id").textValue())),
                    CanonicalAttributes.of(attributes));
        }

        /**
         * {@code value} as PostgreSQL can store it: a String or the Strings of a List with each NUL character replaced
         * ({@link StorableText#of}), noted as a replacement in {@code attribute}; other values as they are. Costs one
         * scan of each string that has no NUL.
         */
        @SuppressWarnings("unchecked")
        private <T> T storable(String attribute, T value) {
            if (value instanceof String text) {
                if (StorableText.hasNul(text)) {
                    noteReplaced(attribute);
                    return (T) StorableText.of(text);
                }
            } else if (value instanceof List<?> list) {
                for (Object item : list) {
                    if (item instanceof String text && StorableText.hasNul(text)) {
                        noteReplaced(attribute);
                        ((List<String>) list).replaceAll(StorableText::of);
                        break;
                    }
                }
            }
            return value;
        }

        private void noteReplaced(String attribute) {
            if (replacing == null) {
                replacing = new ArrayList<>(1);
            }
            if (!replacing.contains(attribute)) {
                replacing.add(attribute);
            }
        }

        /** Reports the replacements of a user or group (an app role's are silent, as Graph's). */
        private void replaced(DirectorySchema.Part part, Replaced replaced, String key, int index) {
            String id;
            ObjectType type;
            if (replaced.element() instanceof Directory.SourceUser user) {
                id = user.id();
                type = ObjectType.USER;
            } else if (replaced.element() instanceof Directory.SourceGroup group) {
                id = group.id();
                type = ObjectType.GROUP;
            } else {
                return;
            }
            String object = type.name().toLowerCase(Locale.ROOT) + " " + id + " (" + pointer(key, index) + ")";
            for (String attribute : replaced.attributes()) {
                replacedValues.add(
                        Directory.Problem.valueReplaced(type, id, object, "the directory file's", attribute));
            }
        }

        /** Adds one element to the read, checking that its id is the first of its kind. */
        private void take(DirectorySchema.Part part, Object element, String key, int index) {
            switch (part) {
                case USER -> {
                    Directory.SourceUser user = (Directory.SourceUser) element;
                    int first = userIndex.putIfAbsent(user.id(), users.size());
                    if (first != IdIndex.ABSENT) {
                        errors.add(pointer(key, index) + "/id: the same id as /users/" + first);
                    } else {
                        users.add(user);
                    }
                }
                case GROUP -> {
                    Directory.SourceGroup group = (Directory.SourceGroup) element;
                    int first = groupIndex.putIfAbsent(group.id(), groups.size());
                    if (first != IdIndex.ABSENT) {
                        errors.add(pointer(key, index) + "/id: the same id as /groups/" + first);
                    } else {
                        groups.add(group);
                    }
                }
                case ASSIGNMENT -> {
                    assignments.add((Directory.SourceAssignment) element);
                    assignmentIndexes.add(index);
                }
                case APP_ROLE -> {
                    appRolesGiven = true;
                    Directory.AppRole role = (Directory.AppRole) element;
                    appRoles.put(role.id(), role);
                }
                default -> throw new IllegalStateException("no elements of " + part);
            }
        }

        /** Members naming neither a user nor a group (a member group is a nested group, not followed, not wrong). */
        private void danglingMembers(List<Directory.Problem> problems) {
            for (Directory.SourceGroup g : groups) {
                // a plain loop: this runs over every member of every group at every read (issue 13)
                Set<String> dangling = null;
                for (String m : g.members()) {
                    if (!userIndex.contains(m) && !groupIndex.contains(m)) {
                        if (dangling == null) {
                            dangling = new LinkedHashSet<>();
                        }
                        dangling.add(m);
                    }
                }
                if (dangling != null) {
                    List<String> missing = List.copyOf(dangling);
                    problems.add(new Directory.Problem(Directory.Problem.Kind.DanglingReference, g.id(),
                            ObjectType.GROUP, Plural.of(missing.size(), "member") + " of group " + g.id() + " (/groups/"
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
            List<Directory.SourceAssignment> present = new ArrayList<>();
            for (int i = 0; i < assignments.size(); i++) {
                Directory.SourceAssignment a = assignments.get(i);
                String principal = a.principalId();
                Directory.PrincipalType type = a.principalType();
                String role = a.appRoleId();
                ObjectType objectType = type == Directory.PrincipalType.User ? ObjectType.USER : ObjectType.GROUP;
                boolean found = type == Directory.PrincipalType.User
                        ? userIndex.contains(principal)
                        : groupIndex.contains(principal);
                if (!found) {
                    problems.add(new Directory.Problem(Directory.Problem.Kind.DanglingReference, principal, objectType,
                            "the assignment /assignments/" + assignmentIndexes.get(i) + " names " + type + " "
                                    + principal
                                    + ", which is not in the directory file: it reaches nobody"));
                    continue;
                }
                if (appRolesGiven && !appRoles.containsKey(role) && !Assignment.DEFAULT_ACCESS.equals(role)) {
                    problems.add(new Directory.Problem(Directory.Problem.Kind.DanglingReference, principal, objectType,
                            "the assignment /assignments/" + assignmentIndexes.get(i) + " names app role " + role
                                    + ", which appRoles does not "
                                    + "define: the role is known by its id only"));
                }
                present.add(a);
            }
            return present;
        }

        private SourceException invalid(List<String> problems) {
            return new SourceException("directory file " + file + " does not match the directory schema "
                    + "(directory.schema.json), nothing is sent: " + String.join("; ", problems)
                    + (problems.size() >= MAX_ERRORS ? "; (reading stopped after " + MAX_ERRORS + " problems)" : ""));
        }
    }

    /**
     * A parsed element in which NUL characters were replaced ({@link StorableText}), as the memo keeps it, so that a
     * read reusing it reports the replacements again and gives the same {@code element} instance.
     *
     * @param element the parsed element, its texts replaced
     * @param attributes the JSON names of the attributes (or {@code id}) replaced, in the element's order, each once
     */
    record Replaced(Object element, List<String> attributes) {
    }

    private static String pointer(String array, int index) {
        return "/" + array + "/" + index;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    /**
     * The bytes read since the current element began: what the parser has taken from the file past the last
     * {@link #retainFrom} offset (the parser reads ahead, so an element's first bytes were read before the parser
     * reached it). Holds one element plus the parser's read-ahead (8 KB); compacted only when it must grow.
     */
    private static final class Retaining extends FilterInputStream {

        private byte[] kept = new byte[64 * 1024];
        /** The file offset of {@code kept[0]}. */
        private long base;
        private int length;
        /** Bytes before this file offset may be dropped. */
        private long floor;
        private boolean retaining = true;

        Retaining(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0 && retaining) {
                keep(new byte[]{(byte) b}, 0, 1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int count) throws IOException {
            int n = super.read(buffer, offset, count);
            if (n > 0 && retaining) {
                keep(buffer, offset, n);
            }
            return n;
        }

        /** Stops keeping bytes (the parser gives no byte offsets). */
        void stop() {
            retaining = false;
            kept = new byte[0];
            length = 0;
        }

        boolean retaining() {
            return retaining;
        }

        /** Bytes before {@code offset} are no longer needed. */
        void retainFrom(long offset) {
            floor = Math.max(floor, offset);
        }

        byte[] buffer() {
            return kept;
        }

        /** Where the byte at file offset {@code offset} (at or after the floor, already read) is in {@link #buffer}. */
        int indexOf(long offset) {
            return (int) (offset - base);
        }

        private void keep(byte[] buffer, int offset, int count) {
            if (length + count > kept.length) {
                int drop = (int) Math.min(length, Math.max(0, floor - base));
                System.arraycopy(kept, drop, kept, 0, length - drop);
                length -= drop;
                base += drop;
                if (length + count > kept.length) {
                    kept = Arrays.copyOf(kept, Math.max(kept.length * 2, length + count));
                } else if (kept.length > 1024 * 1024 && length + count < kept.length / 4) {
                    kept = Arrays.copyOf(kept, Math.max(64 * 1024, (length + count) * 2));
                }
            }
            System.arraycopy(buffer, offset, kept, length, count);
            length += count;
        }
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
