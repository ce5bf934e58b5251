package dev.provisioning.events.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SecureUrlsTest {

    @Test
    void httpsIsAcceptedAnywhere() {
        assertThat(SecureUrls.problem("https://apis.druva.com/insync/scim", false)).isEmpty();
        assertThat(SecureUrls.problem(" https://127.0.0.1:8443/scim ", false)).isEmpty();
    }

    @Test
    void plainHttpIsRefusedOutsideLoopbackEvenWhenAllowed() {
        for (String url : new String[]{"http://apis.druva.com/insync/scim", "http://10.0.0.1/scim",
                "http://localhost.evil.test/scim", "http://127.0.0.1.nip.io/scim", "http://128.0.0.1/scim",
                "http://[::2]/scim"}) {
            assertThat(SecureUrls.problem(url, true)).as(url).hasValueSatisfying(p -> assertThat(p)
                    .contains("must use https").contains("loopback").doesNotContain(url));
        }
        assertThat(SecureUrls.problem("http://327.0.0.1/scim", true)).isPresent();
    }

    @Test
    void plainHttpToLoopbackOnlyWhenTheSettingAllowsIt() {
        for (String url : new String[]{"http://localhost:8080/scim", "http://127.0.0.1:1/scim",
                "http://127.255.0.9/scim", "http://[::1]:9000/scim", "HTTP://LOCALHOST/scim"}) {
            assertThat(SecureUrls.problem(url, true)).as(url).isEmpty();
            assertThat(SecureUrls.problem(url, false)).as(url)
                    .hasValueSatisfying(p -> assertThat(p).contains("allow-insecure-loopback"));
        }
    }

    @Test
    void otherSchemesQueriesUserInfoAndHugeValuesAreRefused() {
        assertThat(SecureUrls.problem("ftp://druva.test/scim", true)).contains("must be an absolute https URL");
        assertThat(SecureUrls.problem("druva", true)).contains("must be an absolute https URL");
        assertThat(SecureUrls.problem("https://a b", true)).contains("must be an absolute https URL");
        assertThat(SecureUrls.problem("https://druva.test/scim?x=1", true)).get().asString().contains("query");
        assertThat(SecureUrls.problem("https://user:pw@druva.test/scim", true)).get().asString()
                .contains("user info");
        assertThat(SecureUrls.problem("https://druva.test/" + "a".repeat(SecureUrls.MAX_LENGTH), true))
                .contains("must be at most " + SecureUrls.MAX_LENGTH + " characters");
        assertThat(SecureUrls.problem(" ", true)).contains("is required");
    }
}
