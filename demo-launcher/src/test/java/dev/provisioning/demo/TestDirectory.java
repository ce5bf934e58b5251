package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.provisioning.druva.DruvaScimServer;
import dev.provisioning.druva.DruvaUser;
import dev.provisioning.events.Json;

/**
 * A generated directory file of users assigned directly, some without mail, and what Entra would leave in Druva for it
 * (worked out here, not from the system's reports): each user with mail once, active, with its displayName; each user
 * without mail nowhere (a Failure, MandatoryFieldsMissing).
 *
 * <p>
 * The file lists the users without mail first (their ids stay {@code withMail ..}): the change-detector emits in the
 * file's order, so their failures reach the notifier as the cycle starts and open its digest window then; the digest
 * arrives while the users with mail are still being provisioned instead of a whole window after the last of them.
 *
 * @param prefix the users' domain ({@code user<i>@<prefix>.example}) and id prefix ({@code <prefix>-<i>})
 * @param withMail how many users have mail: {@code 0 .. withMail-1}
 * @param withoutMail how many users have no mail: {@code withMail .. withMail+withoutMail-1}, listed first
 */
record TestDirectory(String prefix, int withMail, int withoutMail) {

    /** The directory file's content. */
    String json() {
        List<Map<String, Object>> users = new ArrayList<>();
        List<Map<String, Object>> assignments = new ArrayList<>();
        for (int n = 0; n < withMail + withoutMail; n++) {
            int i = n < withoutMail ? withMail + n : n - withoutMail; // those without mail first
            Map<String, Object> user = new LinkedHashMap<>();
            user.put("id", id(i));
            user.put("userPrincipalName", upn(i));
            if (i < withMail) {
                user.put("mail", upn(i));
            }
            user.put("givenName", "User");
            user.put("surname", String.valueOf(i));
            user.put("displayName", "User " + i);
            user.put("mailNickname", "user" + i);
            user.put("accountEnabled", true);
            users.add(user);
            assignments.add(Map.of("principalId", id(i), "principalType", "User", "appRoleId", "role-user"));
        }
        return Json.write(Map.of("users", users, "groups", List.of(), "assignments", assignments));
    }

    String id(int i) {
        return prefix + "-" + i;
    }

    String upn(int i) {
        return "user" + i + "@" + prefix + ".example";
    }

    /** The ids of the users with mail: each must be logged as a Create. */
    List<String> createdIds() {
        return java.util.stream.IntStream.range(0, withMail).mapToObj(this::id).toList();
    }

    /** The ids of the users without mail: each must be logged as a Failure only. */
    List<String> failedIds() {
        return java.util.stream.IntStream.range(withMail, withMail + withoutMail).mapToObj(this::id).toList();
    }

    /** Druva's expected users: userName to displayName. */
    Map<String, String> expectedUsers() {
        Map<String, String> users = new HashMap<>();
        for (int i = 0; i < withMail; i++) {
            users.put(upn(i), "User " + i);
        }
        return users;
    }

    /**
     * How far Druva is from the expected state: users missing or extra, inactive, with another displayName or email,
     * and users held twice. 0 when exact.
     */
    int diff(DruvaScimServer druva) {
        Map<String, String> expected = expectedUsers();
        List<DruvaUser> users = druva.users();
        Map<String, Long> counts = users.stream()
                .collect(Collectors.groupingBy(DruvaUser::userName, Collectors.counting()));
        int diff = 0;
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            diff += expected.containsKey(e.getKey()) ? (int) (e.getValue() - 1) : e.getValue().intValue();
        }
        for (String upn : expected.keySet()) {
            if (!counts.containsKey(upn)) {
                diff++;
            }
        }
        for (DruvaUser u : users) {
            String name = expected.get(u.userName());
            if (name != null && (!u.active() || !name.equals(u.displayName()) || !u.userName().equals(u.email()))) {
                diff++;
            }
        }
        return diff;
    }

    /** Asserts Druva holds exactly the expected users (a readable failure rather than a number). */
    void assertExact(DruvaScimServer druva) {
        List<DruvaUser> users = druva.users();
        Map<String, String> expected = expectedUsers();
        assertThat(users).extracting(DruvaUser::userName).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected.keySet());
        assertThat(users).allSatisfy(u -> {
            assertThat(u.active()).as("%s active", u.userName()).isTrue();
            assertThat(u.email()).isEqualTo(u.userName());
            assertThat(u.displayName()).isEqualTo(expected.get(u.userName()));
        });
        assertThat(diff(druva)).isZero();
    }
}
