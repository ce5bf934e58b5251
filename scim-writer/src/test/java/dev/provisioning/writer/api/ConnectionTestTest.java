package dev.provisioning.writer.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.provisioning.writer.retry.FailureKind;
import dev.provisioning.writer.scim.client.ScimAnswer;

/** What a connection test tells the administrator: the URL rule, and each failure by its class, never a remote body. */
class ConnectionTestTest {

    @Test
    void theTenantUrlFollowsTheDetectorsRule() {
        assertThat(ConnectionTest.checkUrl("https://apis.druva.com/insync/scim", false)).isNull();
        assertThat(ConnectionTest.checkUrl("http://apis.druva.com/insync/scim", true).message())
                .contains("must use https");
        assertThat(ConnectionTest.checkUrl("http://127.0.0.1:8089/scim", false).message())
                .contains("allow-insecure-loopback");
        assertThat(ConnectionTest.checkUrl("http://127.0.0.1:8089/scim", true)).isNull();
        assertThat(ConnectionTest.checkUrl("gopher://druva", true).success()).isFalse();
    }

    @Test
    void aFailureWithoutAnAnswerIsNamedByItsClass() {
        assertThat(read(0, "", "UnknownHostException: Failed to resolve 'druva.invalid'")).startsWith("DNS");
        assertThat(read(0, "", "DnsNameResolverTimeoutException: query timed out")).startsWith("DNS");
        assertThat(read(0, "", "AnnotatedConnectException: Connection refused: /10.0.0.7:22"))
                .startsWith("connection refused").doesNotContain("10.0.0.7:22");
        assertThat(read(0, "", "SSLHandshakeException: PKIX path building failed")).startsWith("TLS");
        assertThat(read(0, "", "NoStackTraceTimeoutException: The timeout period of 30000ms has been exceeded"))
                .startsWith("timeout");
        assertThat(read(0, "", "VertxException: Connection was closed")).startsWith("network error");
    }

    @Test
    void anHttpErrorNamesItsStatusAndOnlyTheScimDetail() {
        String body = "<html>internal page with secrets: db=prod-7 user=admin</html>";
        ConnectionTest.Result result = ConnectionTest.read(
                new ScimAnswer(500, body, FailureKind.TRANSIENT, 1, "HTTP 500"), "https://druva.test/scim");
        assertThat(result.httpStatus()).isEqualTo(500);
        assertThat(result.message()).contains("HTTP 500").doesNotContain("secrets").doesNotContain("prod-7");

        ConnectionTest.Result scim = ConnectionTest.read(new ScimAnswer(403,
                "{\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:Error\"], \"detail\": \"tenant disabled\","
                        + " \"internal\": \"stack trace\"}",
                FailureKind.PERMANENT, 1, "HTTP 403: tenant disabled"), "https://druva.test/scim");
        assertThat(scim.message()).contains("HTTP 403").contains("tenant disabled").doesNotContain("stack trace")
                .doesNotContain("HTTP 403: HTTP 403");
    }

    @Test
    void aWrongPathOnTheRightHostSaysTheTenantUrlIsWrong() {
        // a 404 at connection test is the tenant URL, not a cached id (InvalidAnchor), and says its status once
        ConnectionTest.Result result = ConnectionTest.read(
                new ScimAnswer(404, "<html>Not Found</html>", FailureKind.NOT_FOUND, 1, "HTTP 404"),
                "https://apis.druva.test/insync");
        assertThat(result.success()).isFalse();
        assertThat(result.httpStatus()).isEqualTo(404);
        assertThat(result.errorCode()).isEqualTo("SystemForCrossDomainIdentityManagementServiceIncompatible");
        assertThat(result.message()).isEqualTo("the tenant URL https://apis.druva.test/insync answered 404 (no SCIM "
                + "Users endpoint under it): check that it is the SCIM base URL, ending with /scim (Druva's is "
                + "https://apis.druva.com/insync/scim)");
        // nor is a 409 a conflict of an entry the test never wrote
        assertThat(ConnectionTest.read(new ScimAnswer(409, "", FailureKind.CONFLICT, 1, "HTTP 409"),
                "https://druva.test/scim").errorCode())
                .isEqualTo("SystemForCrossDomainIdentityManagementServiceIncompatible");
    }

    private static String read(int status, String body, String problem) {
        String message = ConnectionTest.read(new ScimAnswer(status, body, FailureKind.TRANSIENT, 1, problem),
                "https://druva.test/scim").message();
        assertThat(message).startsWith("could not reach https://druva.test/scim: ");
        return message.substring("could not reach https://druva.test/scim: ".length());
    }
}
