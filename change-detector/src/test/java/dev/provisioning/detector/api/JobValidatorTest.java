package dev.provisioning.detector.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.job.AttributeMapping;
import dev.provisioning.events.job.MappingType;
import dev.provisioning.events.job.ScopingClause;
import dev.provisioning.events.job.ScopingFilter;
import dev.provisioning.events.job.ScopingOperator;

/** The job request's rules for secrets, URLs and sizes, as the API answers them (field names and messages). */
class JobValidatorTest {

    /** The shortest cycle interval accepted, as {@code detector.min-cycle-interval} by default. */
    static final Duration MIN_INTERVAL = Duration.ofSeconds(5);

    static final String GUID = "0b8e6c2a-7d4f-4a1e-9b3c-5d6e7f8a9b0c";

    private static JobRequest job(String tenantUrl, String token) {
        return job(tenantUrl, token, null, null, null);
    }

    private static JobRequest job(String tenantUrl, String token, GraphSourceRequest graph,
            List<AttributeMapping> mappings, List<ScopingFilter> filters) {
        JobRequest.SourceRequest source = graph == null
                ? new JobRequest.SourceRequest("DIRECTORY_FILE", "/d.json", null)
                : new JobRequest.SourceRequest("MICROSOFT_GRAPH", null, graph);
        return new JobRequest("Druva", tenantUrl, token, null, null, null, null, null, null, null, null, mappings,
                filters, source, null, null, null);
    }

    @Test
    void aRelativeDirectoryFileIsRefusedByNameAnAbsoluteOneIsTaken() {
        // a field case's job file said "relative to where you put the directory file": the job was accepted and every
        // cycle then failed with "does not exist" (relative to the change-detector's working directory)
        for (String path : List.of("01-single-app-role-value.directory.json", "./d.json", "../shared/d.json")) {
            JobRequest job = new JobRequest("Druva", "https://druva.test/scim", "t", null, null, null, null, null, null,
                    null, null, null, null, new JobRequest.SourceRequest("DIRECTORY_FILE", path, null), null, null,
                    null);
            assertThat(JobValidator.validate(job, true, false, MIN_INTERVAL)).as(path).singleElement()
                    .satisfies(e -> {
                        assertThat(e.field()).isEqualTo("source.directoryFile");
                        assertThat(e.message()).contains("absolute path");
                    });
        }
        assertThat(JobValidator.validate(job("https://druva.test/scim", "t"), true, false, MIN_INTERVAL))
                .as("/d.json").isEmpty();
    }

    @Test
    void aCycleIntervalShorterThanTheMinimumIsRefusedByName() {
        for (String interval : List.of("PT4.999S", "PT1S", "PT5S", "PT40M")) {
            JobRequest job = new JobRequest("Druva", "https://druva.test/scim", "t", null, null, null, null, null, null,
                    null, null, null, null, new JobRequest.SourceRequest("DIRECTORY_FILE", "/d.json", null), interval,
                    null, null);
            List<FieldError> errors = JobValidator.validate(job, true, false, MIN_INTERVAL);
            if (Duration.parse(interval).compareTo(MIN_INTERVAL) < 0) {
                assertThat(errors).as(interval).singleElement().satisfies(e -> {
                    assertThat(e.field()).isEqualTo("cycleInterval");
                    assertThat(e.message()).isEqualTo("must be at least PT5S");
                });
            } else {
                assertThat(errors).as(interval).isEmpty();
            }
        }
        JobRequest everySecond = new JobRequest("Druva", "https://druva.test/scim", "t", null, null, null, null, null,
                null, null, null, null, null, new JobRequest.SourceRequest("DIRECTORY_FILE", "/d.json", null), "PT1S",
                null, null);
        assertThat(JobValidator.validate(everySecond, true, false, Duration.ofSeconds(1))).as("a shorter minimum")
                .isEmpty();
    }

    @Test
    void aSecretWithAControlCharacterIsRefusedByNameWithoutItsValue() {
        for (String token : List.of("abc\n", "ab\r\ncd", "a\tb", "a\u0000b", "a\u0085b")) {
            List<FieldError> errors = JobValidator.validate(job("https://druva.test/scim", token), true, false,
                    MIN_INTERVAL);
            assertThat(errors).extracting(FieldError::field).as(token).containsExactly("secretToken");
            assertThat(errors.get(0).message()).contains("control characters").doesNotContain(token);
        }
        GraphSourceRequest graph = new GraphSourceRequest(GUID, GUID, "graph-secret\n", GUID, null, null);
        List<FieldError> errors = JobValidator.validate(job("https://druva.test/scim", "t", graph, null, null), true,
                false, MIN_INTERVAL);
        assertThat(errors).extracting(FieldError::field).containsExactly("source.graph.clientSecret");
        assertThat(errors.toString()).doesNotContain("graph-secret");
        // the connection test of an unsaved configuration too
        assertThat(JobValidator.validateConnection(job("https://druva.test/scim", "t\n"), false))
                .extracting(FieldError::field).containsExactly("secretToken");
    }

    @Test
    void httpIsRefusedOutsideLoopbackAndOnLoopbackUnlessAllowed() {
        JobRequest remote = job("http://apis.druva.com/insync/scim", "t");
        assertThat(JobValidator.validate(remote, true, true, MIN_INTERVAL)).singleElement().satisfies(e -> {
            assertThat(e.field()).isEqualTo("tenantUrl");
            assertThat(e.message()).contains("must use https");
        });
        JobRequest loopback = job("http://127.0.0.1:8089/scim", "t");
        assertThat(JobValidator.validate(loopback, true, true, MIN_INTERVAL)).isEmpty();
        assertThat(JobValidator.validate(loopback, true, false, MIN_INTERVAL)).extracting(FieldError::field)
                .containsExactly("tenantUrl");
        assertThat(JobValidator.validateConnection(remote, true)).extracting(FieldError::field)
                .containsExactly("tenantUrl");

        GraphSourceRequest graph = new GraphSourceRequest(GUID, GUID, "s", GUID, "http://login.example",
                "http://localhost:9/v1.0");
        assertThat(
                JobValidator.validate(job("https://druva.test/scim", "t", graph, null, null), true, true, MIN_INTERVAL))
                .extracting(FieldError::field).containsExactly("source.graph.authorityUrl");
        assertThat(JobValidator.validate(job("https://druva.test/scim", "t", graph, null, null), true, false,
                MIN_INTERVAL))
                .extracting(FieldError::field)
                .containsExactly("source.graph.authorityUrl", "source.graph.graphUrl");
    }

    @Test
    void aSecretFollowsItsUrl() {
        assertThat(JobValidator.secretFollowsUrl("secretToken", "tenantUrl", "https://a.test/scim",
                "https://b.test/scim", null)).singleElement().satisfies(e -> {
                    assertThat(e.field()).isEqualTo("secretToken");
                    assertThat(e.message()).contains("tenantUrl changes");
                });
        assertThat(JobValidator.secretFollowsUrl("secretToken", "tenantUrl", "https://a.test/scim",
                "https://b.test/scim", " ")).hasSize(1);
        assertThat(JobValidator.secretFollowsUrl("secretToken", "tenantUrl", "https://a.test/scim",
                "https://b.test/scim", "new")).isEmpty();
        assertThat(JobValidator.secretFollowsUrl("secretToken", "tenantUrl", "https://a.test/scim",
                " https://a.test/scim/", null)).as("the same URL, written differently").isEmpty();
    }

    @Test
    void everyStringAndListHasALimitNamedInTheError() {
        String url = "https://druva.test/" + "p".repeat(3000);
        JobRequest tooMuch = new JobRequest("n".repeat(JobValidator.MAX_NAME + 1), url,
                "t".repeat(JobValidator.MAX_SECRET + 1), "a".repeat(250) + "@x.test", null, null, null, null, null,
                null, null, null, null,
                new JobRequest.SourceRequest("DIRECTORY_FILE", "/" + "d".repeat(JobValidator.MAX_PATH), null),
                "P" + "T".repeat(100), null, null);
        List<FieldError> errors = JobValidator.validate(tooMuch, true, false, MIN_INTERVAL);
        assertThat(errors).extracting(FieldError::field).containsExactlyInAnyOrder("name", "tenantUrl",
                "secretToken", "notificationEmail", "source.directoryFile", "cycleInterval");
        assertThat(errors).allSatisfy(e -> assertThat(e.message()).contains("at most"));
        assertThat(errors.toString()).doesNotContain("ttttt").doesNotContain("ppppp");

        AttributeMapping mapping = new AttributeMapping(MappingType.DIRECT, "mail", "userName", null, null, 1);
        assertThat(JobValidator.validate(job("https://druva.test/scim", "t", null,
                Collections.nCopies(JobValidator.MAX_MAPPINGS + 1, mapping), null), true, false, MIN_INTERVAL))
                .extracting(FieldError::field).containsExactly("userMappings");
        AttributeMapping longValue = new AttributeMapping(MappingType.CONSTANT, "x".repeat(20_000), "t".repeat(300),
                "d".repeat(JobValidator.MAX_VALUE + 1), null, 0);
        assertThat(JobValidator.validate(job("https://druva.test/scim", "t", null, List.of(mapping, longValue),
                null), true, false, MIN_INTERVAL)).extracting(FieldError::field)
                .containsExactly("userMappings[1].source",
                        "userMappings[1].target", "userMappings[1].defaultValue");

        ScopingClause clause = new ScopingClause("department", ScopingOperator.EQUALS, "Sales");
        ScopingFilter filter = new ScopingFilter("f", List.of(clause));
        assertThat(JobValidator.validate(job("https://druva.test/scim", "t", null, null,
                Collections.nCopies(20_000, filter)), true, false, MIN_INTERVAL)).extracting(FieldError::field)
                .containsExactly("userScopingFilters");
        assertThat(JobValidator.validate(job("https://druva.test/scim", "t", null, null,
                List.of(new ScopingFilter("f", Collections.nCopies(JobValidator.MAX_CLAUSES + 1, clause)))), true,
                false, MIN_INTERVAL)).extracting(FieldError::field).containsExactly("userScopingFilters[0].clauses");
    }
}
