package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.druva.DruvaUser;
import dev.provisioning.events.Json;
import dev.provisioning.localstack.LocalIssuer;

/**
 * The control plane through the packaged services with real tokens, as an administrator uses it: test connection
 * (saved and unsaved) and provision on demand reach Druva through the scim-writer (the change-detector knows where
 * the writer is and calls it with its service token), restart with Escrows and the escrow count reach the writer;
 * without a token or with the wrong role nothing is done, the writer's API answers the service identity only, metrics
 * are on the management ports, and the services listen on loopback only.
 */
@ExtendWith(SharedLocalSystem.class)
class ControlPlaneIT {

    static LocalSystem system;
    static Path directory;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start(LocalSystem shared) throws Exception {
        system = shared;
        Path work = SharedLocalSystem.work("it-control-plane");
        Files.createDirectories(work);
        directory = work.resolve("directory.json");
        Files.writeString(directory, GeneratedDirectory.users("cp", 3, 3));
    }

    private static Map<String, Object> job(String token) {
        Map<String, Object> job = new HashMap<>();
        job.put("name", "Druva (control plane)");
        job.put("tenantUrl", system.druva().baseUrl());
        job.put("secretToken", token);
        job.put("provisioningStatus", "Off");
        job.put("source", Map.of("type", "DIRECTORY_FILE", "directoryFile", directory.toString()));
        return job;
    }

    @Test
    void testConnectionAndProvisionOnDemandReachDruvaThroughTheWriter() {
        JobsClient jobs = system.jobs();
        String jobId = jobs.create(job(system.druvaToken()));

        JsonNode tested = jobs.testConnection(jobId);
        assertThat(tested.path("success").asBoolean()).as(tested.toString()).isTrue();
        assertThat(system.druva().requests()).anySatisfy(r -> {
            assertThat(r.method()).isEqualTo("GET");
            assertThat(r.query()).startsWith("filter=userName eq ");
            assertThat(r.status()).isEqualTo(200);
        });

        // an unsaved configuration, with a token Druva refuses, and a saved job whose token Druva refuses
        JsonNode unsaved = jobs.testConnection(system.druva().baseUrl(), "not-the-druva-token");
        assertThat(unsaved.path("success").asBoolean()).isFalse();
        assertThat(unsaved.path("errorCode").asText()).isEqualTo("InvalidCredentials");
        String wrongJob = jobs.create(job("also-not-the-druva-token"));
        assertThat(jobs.testConnection(wrongJob).path("errorCode").asText()).isEqualTo("InvalidCredentials");

        JsonNode onDemand = jobs.provisionOnDemand(jobId, "cp-1");
        assertThat(onDemand.path("steps").findValuesAsText("name")).containsExactly("Import", "Scope", "Match",
                "Action");
        assertThat(onDemand.path("steps").findValuesAsText("status")).containsOnly("Success");
        assertThat(onDemand.path("result").path("action").asText()).isEqualTo("Create");
        assertThat(system.druva().users()).extracting(DruvaUser::userName).contains("user1@cp.example");
        assertThat(jobs.logs(jobId, "objectId=cp-1").path(0).path("action").asText()).isEqualTo("Create");

        // the writer answers the escrow count and the restart's escrow reset
        assertThat(jobs.status(jobId).path("escrowedObjects").isNumber()).as("escrow count from the writer").isTrue();
        JsonNode restarted = jobs.restart(jobId, List.of("Escrows"));
        assertThat(restarted.path("notApplied")).as(restarted.toString()).isEmpty();
        jobs.pause(jobId);
    }

    @Test
    void nothingIsDoneWithoutATokenOrWithTheWrongRoleAndTheWritersApiIsForTheServiceOnly() throws Exception {
        String api = system.service("change-detector").url();
        HttpResponse<String> anonymous = send("GET", api + "/jobs", null, null);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");

        LocalIssuer issuer = system.stack().issuer();
        String reader = issuer.token("it-reader", LocalIssuer.READER);
        assertThat(send("GET", api + "/jobs", reader, null).statusCode()).isEqualTo(200);
        HttpResponse<String> readerCreates = send("POST", api + "/jobs", reader, Json.write(job("x")));
        assertThat(readerCreates.statusCode()).isEqualTo(403);
        assertThat(readerCreates.body()).contains("Provisioning.Admin");

        String writer = system.service("scim-writer").url();
        String body = Json.write(Map.of("tenantUrl", system.druva().baseUrl(), "secretToken", system.druvaToken()));
        assertThat(send("POST", writer + "/connection-tests", null, body).statusCode()).isEqualTo(401);
        assertThat(send("POST", writer + "/connection-tests", system.adminToken(), body).statusCode()).isEqualTo(403);
        assertThat(send("POST", writer + "/connection-tests", issuer.token("it", LocalIssuer.SERVICE), body)
                .statusCode()).isEqualTo(200);

        for (String service : LocalSystem.SERVICES.keySet()) {
            ServiceProcess process = system.service(service);
            assertThat(send("GET", process.url() + "/q/metrics", system.adminToken(), null).statusCode())
                    .as(service + " public port").isEqualTo(404);
            assertThat(send("GET", process.managementUrl() + "/q/metrics", null, null).statusCode())
                    .as(service + " management port").isEqualTo(200);
        }
    }

    @Test
    void theServicesListenOnLoopbackOnly() {
        Optional<InetAddress> external = nonLoopbackAddress();
        Assumptions.assumeTrue(external.isPresent(), "this machine has no non-loopback IPv4 address to try");
        for (String service : LocalSystem.SERVICES.keySet()) {
            ServiceProcess process = system.service(service);
            for (String url : List.of(process.url(), process.managementUrl())) {
                int port = URI.create(url).getPort();
                assertThat(connects(new InetSocketAddress("127.0.0.1", port))).as(service + " on loopback").isTrue();
                assertThat(connects(new InetSocketAddress(external.get(), port)))
                        .as(service + " on " + external.get().getHostAddress()).isFalse();
            }
        }
    }

    private static HttpResponse<String> send(String method, String url, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static boolean connects(InetSocketAddress address) {
        try (Socket socket = new Socket()) {
            socket.connect(address, (int) Waits.QUIET.toMillis());
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Optional<InetAddress> nonLoopbackAddress() {
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                    if (address instanceof Inet4Address && !address.isLoopbackAddress()) {
                        return Optional.of(address);
                    }
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
