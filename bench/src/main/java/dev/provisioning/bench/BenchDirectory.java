package dev.provisioning.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonGenerator;

import dev.provisioning.events.Json;

/**
 * A generated, seeded directory in the directory-file format the change-detector reads, held in memory so that the
 * incremental scenario can change it and write it again, and so that what Druva should hold can be worked out
 * independently of the system under test.
 *
 * <p>
 * Shape (what a large tenant looks like, and what the issue asks for): {@code groups} groups, assigned to the app
 * with the role "User"; the first holds about half the users, the others follow a Zipf distribution (group k has a
 * share proportional to 1/k of the other half of the memberships). Users in no group are assigned directly, and a
 * fifth of the others too. About 3 % have no mail (Druva requires one: MandatoryFieldsMissing), about 2 % are disabled
 * (never created), about 5 % are in the department "Contractors", which the job's scoping filter leaves out.
 */
final class BenchDirectory {

    /** The app role every assignment uses. */
    static final String ROLE = "5a3e0b5c-1f4e-4d8a-9c61-2b7d0e9f4a11";
    /** The department the job's scoping filter excludes. */
    static final String OUT_OF_SCOPE_DEPARTMENT = "Contractors";

    static final double WITHOUT_MAIL = 0.03;
    static final double DISABLED = 0.02;
    static final double OUT_OF_SCOPE = 0.05;

    private static final String[] GIVEN = {"Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken",
            "Margaret", "Niklaus", "Radia", "Tony", "Zoë", "Łukasz", "José", "Søren", "Anita", "Yukihiro", "Leslie",
            "Katherine"};
    private static final String[] SURNAMES = {"Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen",
            "Thompson", "Hamilton", "Wirth", "Perlman", "Hoare", "García", "Nowak", "Müller", "Kierkegaard", "Borg",
            "Matsumoto", "Lamport", "Johnson"};
    private static final String[] DEPARTMENTS = {"Engineering", "Sales", "Marketing", "Finance", "Support",
            "Operations", "Legal", "Research"};
    private static final String[] TITLES = {"Engineer", "Analyst", "Manager", "Director", "Specialist", "Consultant"};

    /**
     * A user of the directory (Graph's attribute names).
     *
     * @param mail null for a user without one
     */
    record User(String id, String userPrincipalName, String mail, String givenName, String surname,
            String displayName, String mailNickname, String department, String jobTitle, boolean accountEnabled) {

        User withDisplayName(String name) {
            return new User(id, userPrincipalName, mail, givenName, surname, name, mailNickname, department, jobTitle,
                    accountEnabled);
        }

        User withMail(String newMail) {
            return new User(id, userPrincipalName, newMail, givenName, surname, displayName, mailNickname, department,
                    jobTitle, accountEnabled);
        }

        User withEnabled(boolean enabled) {
            return new User(id, userPrincipalName, mail, givenName, surname, displayName, mailNickname, department,
                    jobTitle, enabled);
        }

        boolean inScope() {
            return !OUT_OF_SCOPE_DEPARTMENT.equals(department);
        }
    }

    /** A group with its direct members (user ids), all assigned to the app. */
    record Group(String id, String displayName, Set<String> members) {
    }

    private final String tenant;
    private final Map<String, User> users = new LinkedHashMap<>();
    private final List<Group> groups = new ArrayList<>();
    private final Set<String> directlyAssigned = new LinkedHashSet<>();
    /** Each user's serialised JSON, cached so that rewriting a large directory for a few changes is cheap. */
    private final Map<String, byte[]> userJson = new HashMap<>();
    private final Map<String, byte[]> groupJson = new HashMap<>();
    private final Random random;
    private int next;

    private BenchDirectory(String tenant, Random random) {
        this.tenant = tenant;
        this.random = random;
    }

    /**
     * Generates a directory; the same tenant name, size and seed give the same directory.
     *
     * @param tenant a short name, used in the users' domain ({@code <tenant>.example})
     * @param groupCount 0: users only, every one assigned directly
     */
    static BenchDirectory generate(String tenant, int userCount, int groupCount, long seed) {
        BenchDirectory d = new BenchDirectory(tenant, new Random(seed * 31 + tenant.hashCode()));
        for (int i = 0; i < userCount; i++) {
            d.addGenerated();
        }
        List<String> ids = new ArrayList<>(d.users.keySet());
        for (int g = 0; g < groupCount; g++) {
            d.groups.add(new Group(uuid(tenant, "group-" + g), String.format("%s team %02d", tenant, g),
                    new LinkedHashSet<>()));
        }
        // group 0 holds about half of the users; the other half of the memberships goes to the rest by Zipf (1/k)
        for (String id : ids) {
            if (groupCount > 0 && d.random.nextDouble() < 0.5) {
                d.groups.get(0).members().add(id);
            }
        }
        double harmonic = 0;
        for (int k = 1; k < groupCount; k++) {
            harmonic += 1.0 / k;
        }
        for (int k = 1; k < groupCount; k++) {
            int size = (int) Math.round(userCount * 0.5 * (1.0 / k) / harmonic);
            Set<String> members = d.groups.get(k).members();
            while (members.size() < Math.min(size, userCount)) {
                members.add(ids.get(d.random.nextInt(ids.size())));
            }
        }
        Set<String> inAGroup = new HashSet<>();
        d.groups.forEach(g -> inAGroup.addAll(g.members()));
        for (String id : ids) {
            if (!inAGroup.contains(id) || d.random.nextDouble() < 0.2) {
                d.directlyAssigned.add(id);
            }
        }
        return d;
    }

    private User addGenerated() {
        int i = next++;
        String given = GIVEN[random.nextInt(GIVEN.length)];
        String surname = SURNAMES[random.nextInt(SURNAMES.length)];
        String local = ascii(given) + "." + ascii(surname) + "." + i;
        String upn = local + "@" + tenant + ".example";
        double r = random.nextDouble();
        String department = random.nextDouble() < OUT_OF_SCOPE
                ? OUT_OF_SCOPE_DEPARTMENT
                : DEPARTMENTS[random.nextInt(DEPARTMENTS.length)];
        User user = new User(uuid(tenant, "user-" + i), upn, r < WITHOUT_MAIL ? null : upn, given, surname,
                given + " " + surname, local, department, TITLES[random.nextInt(TITLES.length)],
                random.nextDouble() >= DISABLED);
        users.put(user.id(), user);
        return user;
    }

    /**
     * Adds a new user who is enabled, has mail, is in scope and becomes a member of a random group (so the job must
     * create it and add it to the group).
     */
    User addUser() {
        User generated = addGenerated();
        User user = new User(generated.id(), generated.userPrincipalName(), generated.userPrincipalName(),
                generated.givenName(), generated.surname(), generated.displayName(), generated.mailNickname(),
                DEPARTMENTS[random.nextInt(DEPARTMENTS.length)], generated.jobTitle(), true);
        users.put(user.id(), user);
        Group group = groups.get(random.nextInt(groups.size()));
        group.members().add(user.id());
        groupJson.remove(group.id());
        return user;
    }

    /** Replaces a user (same id) with changed attributes. */
    void replace(User user) {
        if (!users.containsKey(user.id())) {
            throw new IllegalArgumentException("no user " + user.id());
        }
        users.put(user.id(), user);
        userJson.remove(user.id());
    }

    Random random() {
        return random;
    }

    String tenant() {
        return tenant;
    }

    List<User> users() {
        return List.copyOf(users.values());
    }

    User user(String id) {
        return users.get(id);
    }

    List<Group> groups() {
        return groups;
    }

    /** Whether the user has an assignment (directly, or as a direct member of an assigned group). */
    boolean assigned(String userId) {
        if (directlyAssigned.contains(userId)) {
            return true;
        }
        for (Group g : groups) {
            if (g.members().contains(userId)) {
                return true;
            }
        }
        return false;
    }

    /** Users the job should provision (entitled, enabled, with mail, in scope). */
    boolean provisioned(User u) {
        return u.accountEnabled() && u.mail() != null && u.inScope() && assigned(u.id());
    }

    /** The objects a full cycle considers: assigned users and assigned groups. */
    int objects() {
        int assigned = 0;
        Set<String> inAGroup = new HashSet<>();
        groups.forEach(g -> inAGroup.addAll(g.members()));
        for (String id : users.keySet()) {
            if (directlyAssigned.contains(id) || inAGroup.contains(id)) {
                assigned++;
            }
        }
        return assigned + groups.size();
    }

    /** Counts of the generated shape, for the report. */
    Map<String, Integer> shape() {
        Map<String, Integer> shape = new LinkedHashMap<>();
        shape.put("users", users.size());
        shape.put("groups", groups.size());
        shape.put("largestGroup", groups.stream().mapToInt(g -> g.members().size()).max().orElse(0));
        shape.put("withoutMail", (int) users.values().stream().filter(u -> u.mail() == null).count());
        shape.put("disabled", (int) users.values().stream().filter(u -> !u.accountEnabled()).count());
        shape.put("outOfScope", (int) users.values().stream().filter(u -> !u.inScope()).count());
        shape.put("directlyAssigned", directlyAssigned.size());
        return shape;
    }

    /**
     * Writes the directory file atomically (a temporary file, then a rename), so the detector never reads half a
     * file. Unchanged users and groups are written from their cached JSON.
     */
    void write(Path file) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.getParent());
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                out.write(("{\"description\":\"bench tenant " + tenant + "\",\"users\":[\n")
                        .getBytes(StandardCharsets.UTF_8));
                boolean first = true;
                for (User u : users.values()) {
                    if (!first) {
                        out.write(",\n".getBytes(StandardCharsets.UTF_8));
                    }
                    first = false;
                    out.write(userJson.computeIfAbsent(u.id(), id -> json(userNode(u))));
                }
                out.write("],\n\"groups\":[\n".getBytes(StandardCharsets.UTF_8));
                first = true;
                for (Group g : groups) {
                    if (!first) {
                        out.write(",\n".getBytes(StandardCharsets.UTF_8));
                    }
                    first = false;
                    out.write(groupJson.computeIfAbsent(g.id(),
                            id -> json(Map.of("id", g.id(), "displayName", g.displayName(), "members",
                                    List.copyOf(g.members())))));
                }
                out.write("],\n\"assignments\":[\n".getBytes(StandardCharsets.UTF_8));
                first = true;
                for (Group g : groups) {
                    out.write(((first ? "" : ",\n") + assignment(g.id(), "Group")).getBytes(StandardCharsets.UTF_8));
                    first = false;
                }
                for (String id : directlyAssigned) {
                    out.write(((first ? "" : ",\n") + assignment(id, "User")).getBytes(StandardCharsets.UTF_8));
                    first = false;
                }
                out.write("]}\n".getBytes(StandardCharsets.UTF_8));
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the directory " + file, e);
        }
    }

    /** A user as the directory file (and Graph) spells it. */
    static Map<String, Object> userNode(User u) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("id", u.id());
        node.put("userPrincipalName", u.userPrincipalName());
        if (u.mail() != null) {
            node.put("mail", u.mail());
        }
        node.put("givenName", u.givenName());
        node.put("surname", u.surname());
        node.put("displayName", u.displayName());
        node.put("mailNickname", u.mailNickname());
        node.put("department", u.department());
        node.put("jobTitle", u.jobTitle());
        node.put("accountEnabled", u.accountEnabled());
        return node;
    }

    private static String assignment(String principal, String type) {
        return "{\"principalId\":\"" + principal + "\",\"principalType\":\"" + type + "\",\"appRoleId\":\"" + ROLE
                + "\"}";
    }

    private static byte[] json(Object value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (JsonGenerator generator = Json.mapper().getFactory().createGenerator(bytes)) {
            Json.mapper().writeValue(generator, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static String ascii(String name) {
        return java.text.Normalizer.normalize(name, java.text.Normalizer.Form.NFD).replaceAll("[^A-Za-z]", "")
                .toLowerCase(Locale.ROOT);
    }

    private static String uuid(String tenant, String what) {
        return UUID.nameUUIDFromBytes((tenant + "/" + what).getBytes(StandardCharsets.UTF_8)).toString();
    }
}
