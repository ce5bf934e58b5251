package dev.provisioning.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

class JsonProblemsTest {

    record Graph(String tenantId, String clientSecret) {
    }

    record Source(String type, Graph graph) {
    }

    record Mapping(String source, int matchingPrecedence) {
    }

    record Job(String name, Boolean notifyOnFailure, Integer deletionThreshold, List<Mapping> userMappings,
            Source source, Map<String, Object> extra) {
    }

    private static final ObjectMapper MAPPER = strict();

    private static ObjectMapper strict() {
        ObjectMapper mapper = new ObjectMapper();
        new StrictJson().customize(mapper);
        return mapper;
    }

    private static Problem problem(String json) {
        JsonProcessingException e = catchThrowableOfType(JsonProcessingException.class,
                () -> MAPPER.readValue(json, Job.class));
        assertThat(e).as("refused: " + json).isNotNull();
        return JsonProblems.of(e);
    }

    @Test
    void anUnknownFieldIsNamedWhereverItIs() {
        Problem top = problem("{\"name\": \"x\", \"colour\": \"red\"}");
        assertThat(top.status()).isEqualTo(400);
        assertThat(top.errors()).singleElement().satisfies(f -> {
            assertThat(f.field()).isEqualTo("colour");
            assertThat(f.pointer()).isEqualTo("/colour");
            assertThat(f.message()).startsWith("is not a known field").contains("deletionThreshold");
        });

        Problem nested = problem("{\"source\": {\"graph\": {\"tenantId\": \"t\", \"secret\": \"s3cr3t\"}}}");
        assertThat(nested.errors().get(0).field()).isEqualTo("source.graph.secret");
        assertThat(nested.errors().get(0).pointer()).isEqualTo("/source/graph/secret");
        assertThat(nested.toString()).doesNotContain("s3cr3t");
    }

    @Test
    void aWrongTypeSaysWhatJsonTypeIsExpectedWithoutEchoingTheValue() {
        assertThat(problem("{\"name\": 5}").errors().get(0))
                .isEqualTo(new Problem.FieldProblem("name", "/name", "must be a string"));
        assertThat(problem("{\"notifyOnFailure\": \"yes-secret\"}").errors().get(0).message())
                .isEqualTo("must be true or false");
        assertThat(problem("{\"deletionThreshold\": \"500\"}").errors().get(0).message())
                .isEqualTo("must be an integer");
        assertThat(problem("{\"userMappings\": [{\"source\": \"a\"}, {\"matchingPrecedence\": 1.5}]}").errors().get(0))
                .satisfies(f -> {
                    assertThat(f.field()).isEqualTo("userMappings[1].matchingPrecedence");
                    assertThat(f.pointer()).isEqualTo("/userMappings/1/matchingPrecedence");
                });
        assertThat(problem("{\"userMappings\": {}}").errors().get(0).message()).isEqualTo("must be an array");
        assertThat(problem("{\"source\": \"file\"}").errors().get(0).message()).isEqualTo("must be an object");
        assertThat(problem("{\"notifyOnFailure\": \"yes-secret\"}").toString()).doesNotContain("yes-secret");
    }

    @Test
    void malformedJsonSaysWhereAndNeverQuotesTheBody() {
        Problem unquoted = problem("{\"name\": \"x\", \"source\": {\"type\": hunter2}}");
        assertThat(unquoted.detail()).contains("not valid JSON").contains("line 1").doesNotContain("hunter2");
        assertThat(unquoted.errors()).singleElement().satisfies(f -> {
            assertThat(f.field()).isEqualTo("source.type");
            assertThat(f.pointer()).isEqualTo("/source/type");
        });

        Problem truncated = problem("{\"name\": \"x\"");
        assertThat(truncated.detail()).contains("not valid JSON");

        Problem trailing = problem("{\"name\": \"x\"} {\"name\": \"y\"}");
        assertThat(trailing.status()).isEqualTo(400);
    }

    @Test
    void aPointerEscapesSlashesAndTildesAsRfc6901Says() {
        Problem odd = problem("{\"a/b~c\": 1}");
        assertThat(odd.errors().get(0).pointer()).isEqualTo("/a~1b~0c");
        assertThat(odd.errors().get(0).field()).isEqualTo("a/b~c");
    }
}
