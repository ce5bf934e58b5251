package dev.provisioning.detector;

import static dev.provisioning.detector.TestJobs.events;
import static dev.provisioning.detector.TestJobs.job;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.security.TestSecurity;
import io.restassured.http.ContentType;
import io.restassured.response.Response;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.events.Topics;
import dev.provisioning.localstack.LocalPostgres;
import dev.provisioning.localstack.LocalStackTestResource;
import dev.provisioning.localstack.TopicClient;

/**
 * A secret token never appears in clear: in no API answer, no record on any provisioning topic, no text column of any
 * table of the change-detector's database (the audit log's included), and no log line. Each search first proves it can
 * see the job (its id), so a search that looks nowhere cannot pass; the audit log is shown to hold the token's change
 * by name.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name = "database", value = "change_detector"))
@QuarkusTestResource(WriterStub.class)
@TestSecurity(user = "test-admin", roles = Roles.ADMIN)
class SecretsNeverInClearTest {

    /** OpenAPI and metrics are served on the management interface. */
    @TestHTTPResource(value = "/openapi", management = true)
    URL openapi;
    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    static final String TOKEN = "first-secret-" + java.util.UUID.randomUUID();
    static final String NEW_TOKEN = "second-secret-" + java.util.UUID.randomUUID();

    final List<String> answers = new ArrayList<>();

    @Test
    void theTokenIsNowhereInClear(@TempDir Path dir) throws Exception {
        List<String> logLines;
        try (LogCapture<String> capture = LogCapture.start(record -> record.getLoggerName() + " "
                + LogCapture.message(record)
                + (record.getThrown() == null ? "" : " " + stackTrace(record.getThrown())))) {
            logLines = capture.lines();
            exerciseTheApi(dir);
        }
        String jobId = jobIdFrom(answers.get(0));

        assertThat(answers).as("API answers").anySatisfy(a -> assertThat(a).contains(jobId))
                .allSatisfy(a -> assertThat(a).doesNotContain(TOKEN).doesNotContain(NEW_TOKEN));

        List<String> records = new ArrayList<>();
        try (TopicClient kafka = new TopicClient(LocalStackTestResource.stack().kafka().bootstrapServers())) {
            for (String topic : Topics.all()) {
                for (ConsumerRecord<String, String> r : kafka.readAll(topic, r -> true)) {
                    StringBuilder text = new StringBuilder(topic).append(' ').append(r.key()).append(' ')
                            .append(r.value());
                    for (Header h : r.headers()) {
                        text.append(' ').append(h.key()).append('=')
                                .append(new String(h.value() == null ? new byte[0] : h.value(),
                                        StandardCharsets.UTF_8));
                    }
                    records.add(text.toString());
                }
            }
        }
        assertThat(records).as("Kafka records").anySatisfy(r -> assertThat(r).contains(jobId))
                .allSatisfy(r -> assertThat(r).doesNotContain(TOKEN).doesNotContain(NEW_TOKEN));

        Map<String, Long> jobIdHits = new HashMap<>();
        Map<String, Long> tokenHits = new HashMap<>();
        try (Connection db = DriverManager.getConnection(
                LocalStackTestResource.stack().postgres().jdbcUrl("change_detector"), LocalPostgres.USER,
                LocalPostgres.PASSWORD)) {
            List<String[]> columns = new ArrayList<>();
            try (ResultSet rs = db.createStatement().executeQuery("SELECT table_name, column_name FROM "
                    + "information_schema.columns WHERE table_schema = 'public' AND data_type IN ('text', "
                    + "'character varying', 'character', 'json', 'jsonb', 'ARRAY')")) {
                while (rs.next()) {
                    columns.add(new String[]{rs.getString(1), rs.getString(2)});
                }
            }
            assertThat(columns).as("text columns").isNotEmpty();
            for (String[] c : columns) {
                String column = c[0] + "." + c[1];
                jobIdHits.put(column, count(db, c, jobId));
                tokenHits.put(column, count(db, c, TOKEN) + count(db, c, NEW_TOKEN));
            }
        }
        assertThat(jobIdHits.get("job.config")).as("the job's row is searched").isPositive();
        assertThat(jobIdHits.get("job_audit.job_id")).as("the job's audit log is searched").isPositive();
        assertThat(tokenHits).as("the audit log's field names are searched").containsKey("job_audit.fields");
        assertThat(tokenHits).as("database columns holding a token in clear").allSatisfy(
                (column, hits) -> assertThat(hits).as(column).isZero());

        assertThat(logLines).as("log lines").anySatisfy(l -> assertThat(l).contains(jobId))
                .allSatisfy(l -> assertThat(l).doesNotContain(TOKEN).doesNotContain(NEW_TOKEN));
    }

    private void exerciseTheApi(Path dir) throws Exception {
        Path file = dir.resolve("directory.json");
        Files.writeString(file, TestJobs.users(2, 2));
        WriterStub.ANSWERS.put("/connection-tests",
                body -> "{\"success\": true, \"httpStatus\": 200, \"message\": \"Druva answered\"}");
        Map<String, Object> job = job(file, "On", TOKEN);

        Response created = given().contentType(ContentType.JSON).body(job).post("/jobs");
        answers.add(created.asString());
        String jobId = created.then().statusCode(201).extract().path("id");
        WriterStub.ANSWERS.put("/jobs/" + jobId + "/connection-test",
                body -> "{\"success\": true, \"httpStatus\": 200, \"message\": \"Druva answered\"}");
        try (TopicClient kafka = new TopicClient(LocalStackTestResource.stack().kafka().bootstrapServers())) {
            events(kafka, jobId, 2, e -> true); // a cycle ran, and logged
        }
        answers.add(given().get("/jobs/" + jobId).asString());
        answers.add(given().get("/jobs").asString());
        answers.add(given().get("/jobs/" + jobId + "/status").asString());
        answers.add(given().get("/jobs/" + jobId + "/logs").asString());
        Map<String, Object> changed = new HashMap<>(job);
        changed.put("secretToken", NEW_TOKEN);
        answers.add(given().contentType(ContentType.JSON).body(changed).put("/jobs/" + jobId).asString());
        answers.add(given().post("/jobs/" + jobId + "/test-connection").asString());
        answers.add(given().contentType(ContentType.JSON).body(Map.of("tenantUrl", "not a url", "secretToken", TOKEN))
                .post("/jobs/test-connection").asString());
        Map<String, Object> invalid = new HashMap<>(job);
        invalid.remove("name");
        invalid.put("tenantUrl", "ftp://druva.test");
        answers.add(given().contentType(ContentType.JSON).body(invalid).post("/jobs").asString());
        answers.add(given().contentType(ContentType.JSON).body(Map.of("resetScope", List.of("Full")))
                .post("/jobs/" + jobId + "/restart").asString());
        answers.add(given().post("/jobs/" + jobId + "/pause").asString());
        // a token with a line break is refused without being echoed
        Map<String, Object> withNewline = new HashMap<>(job);
        withNewline.put("secretToken", NEW_TOKEN + "\r\n");
        answers.add(given().contentType(ContentType.JSON).body(withNewline).put("/jobs/" + jobId).asString());
        // the audit log names the token's change, never its value
        Response audit = given().get("/jobs/" + jobId + "/audit");
        answers.add(audit.asString());
        assertThat(audit.jsonPath().getList("entries.fields.flatten()", String.class)).contains("secretToken");
        answers.add(given().get(openapi).asString());
        answers.add(given().get(metrics).asString());
    }

    private static long count(Connection db, String[] column, String needle) throws Exception {
        try (PreparedStatement s = db.prepareStatement(
                "SELECT count(*) FROM \"" + column[0] + "\" WHERE \"" + column[1] + "\"::text LIKE ?")) {
            s.setString(1, "%" + needle + "%");
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static String jobIdFrom(String createdAnswer) {
        return io.restassured.path.json.JsonPath.from(createdAnswer).getString("id");
    }

    private static String stackTrace(Throwable t) {
        java.io.StringWriter out = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(out));
        return out.toString();
    }
}
