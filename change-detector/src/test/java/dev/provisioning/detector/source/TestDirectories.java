package dev.provisioning.detector.source;

/** Directory files for the source tests. */
final class TestDirectories {

    private TestDirectories() {
    }

    /** A directory of {@code n} assigned users. */
    static String users(int n) {
        StringBuilder users = new StringBuilder();
        StringBuilder assignments = new StringBuilder();
        for (int i = 0; i < n; i++) {
            users.append(i == 0 ? "" : ",").append("{\"id\": \"u" + i + "\", \"userPrincipalName\": \"user" + i
                    + "@x.test\", \"mail\": \"user" + i + "@x.test\", \"accountEnabled\": true}");
            assignments.append(i == 0 ? "" : ",").append("{\"principalId\": \"u" + i
                    + "\", \"principalType\": \"User\", \"appRoleId\": \"r1\"}");
        }
        return "{\"users\": [" + users + "], \"assignments\": [" + assignments + "]}";
    }
}
