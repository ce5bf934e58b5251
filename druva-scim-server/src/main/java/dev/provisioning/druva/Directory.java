package dev.provisioning.druva;

import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The tenant's users and groups with Druva's rules: email is mandatory, userName is unique (case-insensitive),
 * only name, displayName, emails and active may change, {@code active=false} means "Preserved". All methods
 * are synchronized: the state is small, every operation takes microseconds, and a single lock keeps each
 * request atomic (a rejected PATCH changes nothing).
 */
final class Directory {

    static final String USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
    static final String GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
    static final String DRUVA_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:druva:2.0:User";
    static final String LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    static final int DEFAULT_COUNT = 100;
    static final int MAX_COUNT = 200;

    private static final String WORK_EMAIL = "emails[type eq \"work\"].value";
    private static final Set<String> USER_FILTER_ATTRIBUTES = Set.of("username", "externalid", "id", "displayname",
            "emails.value", WORK_EMAIL, "active");
    private static final Set<String> GROUP_FILTER_ATTRIBUTES = Set.of("displayname", "externalid", "id");
    private static final Pattern MEMBER_VALUE_PATH = Pattern.compile(
            "(?i)members\\s*\\[\\s*value\\s+eq\\s+\"((?:[^\"\\\\]|\\\\.)*)\"\\s*]");

    private final String baseUrl;
    private final Map<String, UserEntry> users = new LinkedHashMap<>();
    private final Map<String, String> userIdsByUserName = new HashMap<>();
    private final Map<String, GroupEntry> groups = new LinkedHashMap<>();

    Directory(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    // ---------------------------------------------------------------- users

    synchronized ObjectNode createUser(JsonNode body) {
        requireObject(body);
        UserEntry user = new UserEntry();
        user.id = UUID.randomUUID().toString();
        user.userName = text(body, "userName");
        if (user.userName == null || user.userName.isBlank()) {
            throw ScimException.invalidValue("userName is required");
        }
        user.externalId = text(body, "externalId");
        JsonNode name = body.path("name");
        user.givenName = text(name, "givenName");
        user.familyName = text(name, "familyName");
        user.formatted = text(name, "formatted");
        user.displayName = text(body, "displayName");
        user.email = emailOf(body.get("emails"));
        user.active = !body.has("active") || body.get("active").isNull() || bool(body.get("active"), "active");
        requireEmail(user);
        requireUniqueUserName(user.userName);
        user.created = Instant.now();
        user.lastModified = user.created;
        users.put(user.id, user);
        userIdsByUserName.put(key(user.userName), user.id);
        return render(user);
    }

    synchronized ObjectNode getUser(String id) {
        return render(user(id));
    }

    synchronized ObjectNode listUsers(String filter, int startIndex, int count) {
        Collection<UserEntry> candidates = users.values();
        Predicate<UserEntry> matches = u -> true;
        if (filter != null && !filter.isBlank()) {
            List<ScimFilter.Clause> clauses = ScimFilter.parse(filter, USER_FILTER_ATTRIBUTES);
            for (ScimFilter.Clause clause : clauses) {
                if (clause.attribute().equals("username")) {
                    // use the index: matching by userName is the hot path (two requests per new user)
                    String id = clause.value() instanceof String s ? userIdsByUserName.get(key(s)) : null;
                    candidates = id == null ? List.of() : List.of(users.get(id));
                }
                matches = matches.and(u -> userMatches(u, clause));
            }
        }
        return listResponse(candidates, matches, startIndex, count, this::render);
    }

    synchronized ObjectNode patchUser(String id, JsonNode body) {
        UserEntry current = user(id);
        UserEntry changed = current.copy();
        for (JsonNode op : operations(body)) {
            String kind = opKind(op);
            JsonNode path = op.get("path");
            JsonNode value = op.get("value");
            if (path == null || path.isNull() || path.asText().isBlank()) {
                if (value == null || !value.isObject()) {
                    throw ScimException.invalidSyntax("An operation without 'path' needs an object 'value'");
                }
                value.fields().forEachRemaining(f -> applyUserAttribute(changed, kind, f.getKey(), f.getValue()));
            } else {
                applyUserAttribute(changed, kind, path.asText(), value);
            }
        }
        requireEmail(changed);
        changed.lastModified = Instant.now();
        changed.version++;
        users.put(id, changed);
        return render(changed);
    }

    synchronized void deleteUser(String id) {
        UserEntry removed = users.remove(id);
        if (removed == null) {
            throw userNotFound(id);
        }
        userIdsByUserName.remove(key(removed.userName));
        for (GroupEntry group : groups.values()) {
            group.memberIds.remove(id);
        }
    }

    private void applyUserAttribute(UserEntry user, String kind, String rawPath, JsonNode value) {
        String path = ScimFilter.normaliseAttribute(rawPath);
        boolean remove = kind.equals("remove");
        switch (path) {
            case "active" -> {
                if (remove) {
                    throw ScimException.invalidValue("active cannot be removed");
                }
                user.active = bool(value, "active");
            }
            case "displayname" -> user.displayName = remove ? null : string(value, rawPath);
            case "name.givenname" -> user.givenName = remove ? null : string(value, rawPath);
            case "name.familyname" -> user.familyName = remove ? null : string(value, rawPath);
            case "name.formatted" -> user.formatted = remove ? null : string(value, rawPath);
            case "name" -> {
                if (remove) {
                    user.givenName = null;
                    user.familyName = null;
                    user.formatted = null;
                } else {
                    if (value == null || !value.isObject()) {
                        throw ScimException.invalidValue("name must be an object");
                    }
                    value.fields().forEachRemaining(f -> applyUserAttribute(user, kind, "name." + f.getKey(),
                            f.getValue()));
                }
            }
            case WORK_EMAIL, "emails.value" -> user.email = remove ? null : string(value, rawPath);
            case "emails" -> user.email = remove ? null : emailOf(value);
            case "username", "externalid" -> throw ScimException.mutability(
                    "Druva does not allow changing " + rawPath
                            + ": only name, displayName, emails and active are updatable");
            default -> throw ScimException.invalidPath("Unsupported attribute path: " + rawPath);
        }
    }

    private boolean userMatches(UserEntry u, ScimFilter.Clause clause) {
        Object v = clause.value();
        return switch (clause.attribute()) {
            case "username" -> equalsIgnoreCase(u.userName, v);
            case "externalid" -> v != null && v.equals(u.externalId) || v == null && u.externalId == null;
            case "id" -> u.id.equals(v);
            case "displayname" -> equalsIgnoreCase(u.displayName, v);
            case "emails.value", WORK_EMAIL -> equalsIgnoreCase(u.email, v);
            case "active" -> v instanceof Boolean b && b == u.active;
            default -> false;
        };
    }

    private ObjectNode render(UserEntry u) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.putArray("schemas").add(USER_SCHEMA).add(DRUVA_USER_SCHEMA);
        node.put("id", u.id);
        putIfPresent(node, "externalId", u.externalId);
        node.put("userName", u.userName);
        ObjectNode name = Json.MAPPER.createObjectNode();
        putIfPresent(name, "givenName", u.givenName);
        putIfPresent(name, "familyName", u.familyName);
        putIfPresent(name, "formatted", u.formatted);
        if (!name.isEmpty()) {
            node.set("name", name);
        }
        putIfPresent(node, "displayName", u.displayName);
        node.put("active", u.active);
        node.putArray("emails").addObject().put("value", u.email).put("type", "work").put("primary", true);
        node.putObject(DRUVA_USER_SCHEMA).put("status", u.status());
        meta(node, "User", "/Users/" + u.id, u.created, u.lastModified, u.version);
        return node;
    }

    private UserEntry user(String id) {
        UserEntry user = users.get(id);
        if (user == null) {
            throw userNotFound(id);
        }
        return user;
    }

    private static ScimException userNotFound(String id) {
        return ScimException.notFound("User " + id + " not found");
    }

    private void requireUniqueUserName(String userName) {
        if (userIdsByUserName.containsKey(key(userName))) {
            throw ScimException.uniqueness("A user with userName '" + userName + "' already exists");
        }
    }

    private static void requireEmail(UserEntry user) {
        if (user.email == null || user.email.isBlank()) {
            throw ScimException.invalidValue("Druva requires an email: emails[type eq \"work\"].value is missing for "
                    + user.userName);
        }
    }

    /** The work email, else the primary one, else null. */
    private static String emailOf(JsonNode emails) {
        if (emails == null || emails.isNull()) {
            return null;
        }
        if (!emails.isArray()) {
            throw ScimException.invalidValue("emails must be an array");
        }
        String primary = null;
        for (JsonNode email : emails) {
            String value = text(email, "value");
            if (value == null || value.isBlank()) {
                continue;
            }
            if ("work".equalsIgnoreCase(text(email, "type"))) {
                return value;
            }
            if (primary == null && email.path("primary").asBoolean(false)) {
                primary = value;
            }
        }
        return primary;
    }

    // ---------------------------------------------------------------- groups

    synchronized ObjectNode createGroup(JsonNode body) {
        requireObject(body);
        GroupEntry group = new GroupEntry();
        group.id = UUID.randomUUID().toString();
        group.displayName = text(body, "displayName");
        if (group.displayName == null || group.displayName.isBlank()) {
            throw ScimException.invalidValue("displayName is required");
        }
        group.externalId = text(body, "externalId");
        group.memberIds.addAll(memberIds(body.get("members")));
        group.created = Instant.now();
        group.lastModified = group.created;
        groups.put(group.id, group);
        return render(group, true);
    }

    synchronized ObjectNode getGroup(String id, boolean withMembers) {
        return render(group(id), withMembers);
    }

    synchronized ObjectNode listGroups(String filter, int startIndex, int count, boolean withMembers) {
        Predicate<GroupEntry> matches = g -> true;
        if (filter != null && !filter.isBlank()) {
            for (ScimFilter.Clause clause : ScimFilter.parse(filter, GROUP_FILTER_ATTRIBUTES)) {
                Object v = clause.value();
                matches = matches.and(g -> switch (clause.attribute()) {
                    case "displayname" -> equalsIgnoreCase(g.displayName, v);
                    case "externalid" -> v != null && v.equals(g.externalId) || v == null && g.externalId == null;
                    case "id" -> g.id.equals(v);
                    default -> false;
                });
            }
        }
        return listResponse(groups.values(), matches, startIndex, count, g -> render(g, withMembers));
    }

    synchronized void patchGroup(String id, JsonNode body) {
        GroupEntry changed = group(id).copy();
        for (JsonNode op : operations(body)) {
            String kind = opKind(op);
            JsonNode path = op.get("path");
            JsonNode value = op.get("value");
            if (path == null || path.isNull() || path.asText().isBlank()) {
                if (value == null || !value.isObject()) {
                    throw ScimException.invalidSyntax("An operation without 'path' needs an object 'value'");
                }
                value.fields().forEachRemaining(f -> applyGroupAttribute(changed, kind, f.getKey(), f.getValue()));
            } else {
                applyGroupAttribute(changed, kind, path.asText(), value);
            }
        }
        changed.lastModified = Instant.now();
        changed.version++;
        groups.put(id, changed);
    }

    synchronized void deleteGroup(String id) {
        if (groups.remove(id) == null) {
            throw groupNotFound(id);
        }
    }

    private void applyGroupAttribute(GroupEntry group, String kind, String rawPath, JsonNode value) {
        Matcher memberPath = MEMBER_VALUE_PATH.matcher(rawPath.trim());
        if (memberPath.matches()) {
            if (!kind.equals("remove")) {
                throw ScimException.invalidPath("Only 'remove' is supported on " + rawPath);
            }
            group.memberIds.remove(memberPath.group(1).replaceAll("\\\\(.)", "$1"));
            return;
        }
        String path = ScimFilter.normaliseAttribute(rawPath);
        switch (path) {
            case "members" -> {
                switch (kind) {
                    case "add" -> group.memberIds.addAll(memberIds(value));
                    case "replace" -> {
                        Set<String> members = memberIds(value);
                        group.memberIds.clear();
                        group.memberIds.addAll(members);
                    }
                    default -> {
                        if (value == null || value.isNull()) {
                            group.memberIds.clear();
                        } else {
                            group.memberIds.removeAll(memberIdsOf(value));
                        }
                    }
                }
            }
            case "displayname" -> {
                if (kind.equals("remove")) {
                    throw ScimException.invalidValue("displayName cannot be removed");
                }
                group.displayName = string(value, rawPath);
            }
            case "externalid" -> group.externalId = kind.equals("remove") ? null : string(value, rawPath);
            default -> throw ScimException.invalidPath("Unsupported attribute path: " + rawPath);
        }
    }

    /** The member ids of a {@code members} value, each of which must be a known user. */
    private Set<String> memberIds(JsonNode members) {
        Set<String> ids = memberIdsOf(members);
        for (String id : ids) {
            if (!users.containsKey(id)) {
                throw ScimException.invalidValue("Member " + id + " is not a known user");
            }
        }
        return ids;
    }

    private static Set<String> memberIdsOf(JsonNode members) {
        Set<String> ids = new LinkedHashSet<>();
        if (members == null || members.isNull()) {
            return ids;
        }
        if (!members.isArray()) {
            throw ScimException.invalidValue("members must be an array of {\"value\": \"<user id>\"}");
        }
        for (JsonNode member : members) {
            String id = text(member, "value");
            if (id == null || id.isBlank()) {
                throw ScimException.invalidValue("Each member needs a 'value' with the user id");
            }
            ids.add(id);
        }
        return ids;
    }

    private ObjectNode render(GroupEntry g, boolean withMembers) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.putArray("schemas").add(GROUP_SCHEMA);
        node.put("id", g.id);
        putIfPresent(node, "externalId", g.externalId);
        node.put("displayName", g.displayName);
        if (withMembers) {
            ArrayNode members = node.putArray("members");
            for (String memberId : g.memberIds) {
                ObjectNode member = members.addObject().put("value", memberId).put("$ref", baseUrl + "/Users/"
                        + memberId);
                UserEntry user = users.get(memberId);
                if (user != null && user.displayName != null) {
                    member.put("display", user.displayName);
                }
            }
        }
        meta(node, "Group", "/Groups/" + g.id, g.created, g.lastModified, g.version);
        return node;
    }

    private GroupEntry group(String id) {
        GroupEntry group = groups.get(id);
        if (group == null) {
            throw groupNotFound(id);
        }
        return group;
    }

    private static ScimException groupNotFound(String id) {
        return ScimException.notFound("Group " + id + " not found");
    }

    // ---------------------------------------------------------------- snapshots

    synchronized List<DruvaUser> users() {
        return users.values().stream().map(UserEntry::snapshot).toList();
    }

    synchronized List<DruvaGroup> groups() {
        return groups.values().stream()
                .map(g -> new DruvaGroup(g.id, g.displayName, g.externalId, g.memberIds))
                .toList();
    }

    synchronized void clear() {
        users.clear();
        userIdsByUserName.clear();
        groups.clear();
    }

    // ---------------------------------------------------------------- helpers

    private static <T> ObjectNode listResponse(Collection<T> all, Predicate<T> matches, int startIndex, int count,
            Function<T, ObjectNode> render) {
        int start = Math.max(1, startIndex);
        int size = Math.max(0, Math.min(count, MAX_COUNT));
        ObjectNode list = Json.MAPPER.createObjectNode();
        list.putArray("schemas").add(LIST_RESPONSE_SCHEMA);
        ArrayNode resources = Json.MAPPER.createArrayNode();
        int total = 0;
        for (T item : all) {
            if (!matches.test(item)) {
                continue;
            }
            total++;
            if (total >= start && resources.size() < size) {
                resources.add(render.apply(item));
            }
        }
        list.put("totalResults", total);
        list.put("startIndex", start);
        list.put("itemsPerPage", resources.size());
        list.set("Resources", resources);
        return list;
    }

    private void meta(ObjectNode node, String type, String path, Instant created, Instant lastModified,
            long version) {
        node.putObject("meta")
                .put("resourceType", type)
                .put("created", created.toString())
                .put("lastModified", lastModified.toString())
                .put("location", baseUrl + path)
                .put("version", "W/\"" + version + "\"");
    }

    private static Iterable<JsonNode> operations(JsonNode body) {
        requireObject(body);
        JsonNode ops = body.get("Operations");
        if (ops == null) {
            ops = body.get("operations");
        }
        if (ops == null || !ops.isArray() || ops.isEmpty()) {
            throw ScimException.invalidSyntax("A PatchOp needs a non-empty 'Operations' array");
        }
        for (JsonNode op : ops) {
            if (!op.isObject()) {
                throw ScimException.invalidSyntax("Each operation must be an object");
            }
        }
        return ops;
    }

    private static String opKind(JsonNode op) {
        String kind = op.path("op").asText("").toLowerCase(Locale.ROOT);
        if (!kind.equals("add") && !kind.equals("replace") && !kind.equals("remove")) {
            throw ScimException.invalidSyntax("Unsupported PATCH op '" + op.path("op").asText("")
                    + "': expected add, replace or remove");
        }
        return kind;
    }

    private static void requireObject(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ScimException.invalidSyntax("The request body must be a JSON object");
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node == null ? null : node.get(field);
        return value == null || value.isNull() || value.isContainerNode() ? null : value.asText();
    }

    /** A string value; Entra may wrap a single value in a one-element array. */
    private static String string(JsonNode value, String path) {
        if (value != null && value.isArray() && value.size() == 1) {
            value = value.get(0);
        }
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.isContainerNode()) {
            throw ScimException.invalidValue(path + " must be a string");
        }
        return value.asText();
    }

    /** A boolean: a JSON boolean (RFC-strict clients) or a "True"/"False" string (Entra's default dialect). */
    private static boolean bool(JsonNode value, String path) {
        if (value != null && value.isBoolean()) {
            return value.booleanValue();
        }
        if (value != null && value.isTextual()) {
            String s = value.textValue().trim();
            if (s.equalsIgnoreCase("true")) {
                return true;
            }
            if (s.equalsIgnoreCase("false")) {
                return false;
            }
        }
        throw ScimException.invalidValue(path + " must be a boolean, got: " + value);
    }

    private static boolean equalsIgnoreCase(String actual, Object expected) {
        return expected instanceof String s ? s.equalsIgnoreCase(actual) : expected == null && actual == null;
    }

    private static void putIfPresent(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static String key(String userName) {
        return userName.toLowerCase(Locale.ROOT);
    }

    /** Mutable only under the directory's lock; PATCH works on a copy and swaps it in when all ops succeed. */
    private static final class UserEntry {
        String id;
        String userName;
        String externalId;
        String givenName;
        String familyName;
        String formatted;
        String displayName;
        String email;
        boolean active;
        Instant created;
        Instant lastModified;
        long version = 1;

        String status() {
            return active ? DruvaUser.ACTIVE : DruvaUser.PRESERVED;
        }

        UserEntry copy() {
            UserEntry c = new UserEntry();
            c.id = id;
            c.userName = userName;
            c.externalId = externalId;
            c.givenName = givenName;
            c.familyName = familyName;
            c.formatted = formatted;
            c.displayName = displayName;
            c.email = email;
            c.active = active;
            c.created = created;
            c.lastModified = lastModified;
            c.version = version;
            return c;
        }

        DruvaUser snapshot() {
            return new DruvaUser(id, userName, externalId, givenName, familyName, displayName, email, active,
                    status(), formatted);
        }
    }

    private static final class GroupEntry {
        String id;
        String displayName;
        String externalId;
        final Set<String> memberIds = new LinkedHashSet<>();
        Instant created;
        Instant lastModified;
        long version = 1;

        GroupEntry copy() {
            GroupEntry c = new GroupEntry();
            c.id = id;
            c.displayName = displayName;
            c.externalId = externalId;
            c.memberIds.addAll(memberIds);
            c.created = created;
            c.lastModified = lastModified;
            c.version = version;
            return c;
        }
    }
}
