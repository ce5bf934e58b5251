package dev.provisioning.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonProperty;

import dev.provisioning.druva.DruvaGroup;
import dev.provisioning.druva.DruvaUser;

/**
 * The difference between what the Druva-compatible server holds and what Entra would have left there for the
 * directory (BEHAVIOUR.md: entitled, enabled users with mail and in scope are active; a user Druva held before and who
 * lost one of those is kept but inactive; assigned groups hold their direct members that Druva holds). Worked out from
 * the generated directory, not from anything the system under test reports. Every count must be 0.
 *
 * @param missingUsers expected users Druva does not hold
 * @param unexpectedUsers users Druva holds that it should not (including duplicates)
 * @param activeMismatches users whose {@code active} flag is wrong
 * @param emailMismatches users whose work email is wrong
 * @param displayNameMismatches users whose displayName is wrong
 * @param missingGroups expected groups Druva does not hold
 * @param unexpectedGroups groups Druva holds that it should not (including duplicates)
 * @param missingMemberships expected group memberships Druva does not hold
 * @param unexpectedMemberships memberships Druva holds that it should not
 * @param examples up to 10 of the differences, for a person to read
 */
record StateDiff(int missingUsers, int unexpectedUsers, int activeMismatches, int emailMismatches,
        int displayNameMismatches, int missingGroups, int unexpectedGroups, int missingMemberships,
        int unexpectedMemberships, List<String> examples) {

    /** The sum of every count. */
    @JsonProperty("total")
    public int total() {
        return missingUsers + unexpectedUsers + activeMismatches + emailMismatches + displayNameMismatches
                + missingGroups + unexpectedGroups + missingMemberships + unexpectedMemberships;
    }

    /** What Druva should hold for one user. */
    record ExpectedUser(String userName, boolean active, String email, String displayName) {
    }

    /** What Druva should hold: users by userName (lower case), groups by displayName with member userNames. */
    record Expected(Map<String, ExpectedUser> users, Map<String, Set<String>> groups) {

        /** Memberships in every group together. */
        int memberships() {
            return groups.values().stream().mapToInt(Set::size).sum();
        }

        long activeUsers() {
            return users.values().stream().filter(ExpectedUser::active).count();
        }

        /**
         * @param held the ids of the users Druva held before (created by an earlier cycle), who stay there, inactive,
         *        when they should no longer be provisioned
         */
        static Expected of(BenchDirectory directory, Set<String> held) {
            Map<String, ExpectedUser> users = new HashMap<>();
            Map<String, String> userNames = new HashMap<>();
            for (BenchDirectory.User u : directory.users()) {
                boolean provisioned = directory.provisioned(u);
                if (provisioned || held.contains(u.id())) {
                    String userName = u.userPrincipalName().toLowerCase(Locale.ROOT);
                    users.put(userName, new ExpectedUser(u.userPrincipalName(), provisioned, u.mail(),
                            u.displayName()));
                    userNames.put(u.id(), userName);
                }
            }
            Map<String, Set<String>> groups = new HashMap<>();
            for (BenchDirectory.Group g : directory.groups()) {
                Set<String> members = new HashSet<>();
                g.members().forEach(m -> {
                    String userName = userNames.get(m);
                    if (userName != null) {
                        members.add(userName);
                    }
                });
                groups.put(g.displayName(), members);
            }
            return new Expected(users, groups);
        }

        /** The ids of the users Druva should hold. */
        static Set<String> heldIds(BenchDirectory directory, Set<String> heldBefore) {
            Set<String> held = new HashSet<>(heldBefore);
            directory.users().stream().filter(directory::provisioned).forEach(u -> held.add(u.id()));
            return held;
        }
    }

    /** Compares Druva's users and groups with the expectation. */
    static StateDiff of(Expected expected, List<DruvaUser> druvaUsers, List<DruvaGroup> druvaGroups) {
        List<String> examples = new ArrayList<>();
        int missingUsers = 0, unexpectedUsers = 0, active = 0, email = 0, displayName = 0;
        Map<String, DruvaUser> byUserName = new HashMap<>();
        Map<String, String> userNameById = new HashMap<>();
        for (DruvaUser u : druvaUsers) {
            String userName = u.userName().toLowerCase(Locale.ROOT);
            userNameById.put(u.id(), userName);
            if (byUserName.putIfAbsent(userName, u) != null || !expected.users().containsKey(userName)) {
                unexpectedUsers++;
                example(examples, "unexpected user " + u.userName());
            }
        }
        for (ExpectedUser e : expected.users().values()) {
            DruvaUser u = byUserName.get(e.userName().toLowerCase(Locale.ROOT));
            if (u == null) {
                missingUsers++;
                example(examples, "missing user " + e.userName());
                continue;
            }
            if (u.active() != e.active()) {
                active++;
                example(examples, e.userName() + ": active " + u.active() + ", expected " + e.active());
            }
            if (!u.email().equalsIgnoreCase(e.email())) {
                email++;
                example(examples, e.userName() + ": email " + u.email() + ", expected " + e.email());
            }
            if (!java.util.Objects.equals(u.displayName(), e.displayName())) {
                displayName++;
                example(examples, e.userName() + ": displayName " + u.displayName() + ", expected "
                        + e.displayName());
            }
        }
        int missingGroups = 0, unexpectedGroups = 0, missingMembers = 0, unexpectedMembers = 0;
        Map<String, DruvaGroup> byName = new HashMap<>();
        for (DruvaGroup g : druvaGroups) {
            if (byName.putIfAbsent(g.displayName(), g) != null || !expected.groups().containsKey(g.displayName())) {
                unexpectedGroups++;
                example(examples, "unexpected group " + g.displayName());
            }
        }
        for (Map.Entry<String, Set<String>> e : expected.groups().entrySet()) {
            DruvaGroup g = byName.get(e.getKey());
            if (g == null) {
                missingGroups++;
                missingMembers += e.getValue().size();
                example(examples, "missing group " + e.getKey());
                continue;
            }
            Set<String> held = new HashSet<>();
            g.memberIds().forEach(id -> held.add(userNameById.getOrDefault(id, "<unknown id " + id + ">")));
            for (String m : e.getValue()) {
                if (!held.contains(m)) {
                    missingMembers++;
                    example(examples, "group " + e.getKey() + " lacks " + m);
                }
            }
            for (String m : held) {
                if (!e.getValue().contains(m)) {
                    unexpectedMembers++;
                    example(examples, "group " + e.getKey() + " should not hold " + m);
                }
            }
        }
        return new StateDiff(missingUsers, unexpectedUsers, active, email, displayName, missingGroups,
                unexpectedGroups, missingMembers, unexpectedMembers, List.copyOf(examples));
    }

    private static void example(List<String> examples, String what) {
        if (examples.size() < 10) {
            examples.add(what);
        }
    }
}
