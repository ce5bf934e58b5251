package dev.provisioning.demo;

/** Generated directory files for the end-to-end tests: many users, all with mail, some assigned directly. */
final class GeneratedDirectory {

    private GeneratedDirectory() {
    }

    /**
     * Users {@code <prefix>-0} .. {@code <prefix>-(n-1)}, with userPrincipalName and mail {@code user<i>@<prefix>.example}
     * and displayName {@code User <i>}; the first {@code assigned} are assigned to the app directly.
     */
    static String users(String prefix, int n, int assigned) {
        StringBuilder users = new StringBuilder();
        StringBuilder assignments = new StringBuilder();
        for (int i = 0; i < n; i++) {
            String sep = i == 0 ? "" : ",\n";
            users.append(sep).append(String.format("{\"id\": \"%s-%d\", \"userPrincipalName\": "
                    + "\"user%d@%s.example\", \"mail\": \"user%d@%s.example\", \"givenName\": \"User\", "
                    + "\"surname\": \"%d\", \"displayName\": \"User %d\", \"accountEnabled\": true}", prefix, i, i,
                    prefix, i, prefix, i, i));
            if (i < assigned) {
                assignments.append(i == 0 ? "" : ",\n").append(String.format(
                        "{\"principalId\": \"%s-%d\", \"principalType\": \"User\", \"appRoleId\": \"r1\"}", prefix,
                        i));
            }
        }
        return "{\"users\": [" + users + "], \"groups\": [], \"assignments\": [" + assignments + "]}";
    }
}
