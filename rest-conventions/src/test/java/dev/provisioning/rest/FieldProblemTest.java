package dev.provisioning.rest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FieldProblemTest {

    @Test
    void aFieldNamedTheWayTheApisNameItGetsItsJsonPointer() {
        assertThat(Problem.FieldProblem.named("source.graph.clientId", "is required").pointer())
                .isEqualTo("/source/graph/clientId");
        assertThat(Problem.FieldProblem.named("userMappings[1].source", "has an error at position 4").pointer())
                .isEqualTo("/userMappings/1/source");
        assertThat(Problem.FieldProblem.named("scopingFilters[0].clauses[2]", "is not valid").pointer())
                .isEqualTo("/scopingFilters/0/clauses/2");
        assertThat(Problem.FieldProblem.named("name", "is required").pointer()).isEqualTo("/name");
    }

    @Test
    void theWholeBodyIsTheEmptyPointerAndSpecialCharactersAreEscaped() {
        assertThat(Problem.FieldProblem.named("", "must be a JSON object").pointer()).isEmpty();
        assertThat(Problem.FieldProblem.named("headers.a/b~c", "is not allowed").pointer())
                .isEqualTo("/headers/a~1b~0c");
    }

    @Test
    void theFieldAndMessageAreKeptAsGiven() {
        Problem.FieldProblem problem = Problem.FieldProblem.named("tenantUrl", "must be an https URL");

        assertThat(problem.field()).isEqualTo("tenantUrl");
        assertThat(problem.message()).isEqualTo("must be an https URL");
    }
}
