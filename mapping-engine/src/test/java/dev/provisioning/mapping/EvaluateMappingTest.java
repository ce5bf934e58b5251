package dev.provisioning.mapping;

import static dev.provisioning.mapping.Fixtures.USER_ROLE;
import static dev.provisioning.mapping.Fixtures.typicalUser;
import static dev.provisioning.mapping.Fixtures.user;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.job.ApplyMode;
import dev.provisioning.events.job.AttributeMapping;
import dev.provisioning.events.job.MappingType;

/** One mapping for one user, as the console's "test a mapping" shows it, with the cycle's own evaluation. */
class EvaluateMappingTest {

    static final AssignmentEvent JOHN = user(typicalUser(), List.of(USER_ROLE));

    static MappingValue test(MappingType type, String source, String target, String defaultValue, ApplyMode apply) {
        return MappingEngine.evaluateMapping(new AttributeMapping(type, source, target, defaultValue, apply, 0), JOHN,
                Clock.systemUTC());
    }

    @Test
    void anExpressionGivesTheValueDruvaReceives() {
        MappingValue v = test(MappingType.EXPRESSION, "Join(\".\", [givenName], [surname])", "externalId", null, null);
        assertThat(v.outcome()).isEqualTo(MappingValue.Outcome.SENT);
        assertThat(v.value()).isEqualTo("John.Doe");
        assertThat(v.createOnly()).isFalse();
    }

    @Test
    void aNullValueIsNotSentAndADefaultValueOnlyOnCreate() {
        assertThat(test(MappingType.DIRECT, "jobTitle", "title", null, null).outcome())
                .isEqualTo(MappingValue.Outcome.NOT_SENT);
        MappingValue withDefault = test(MappingType.DIRECT, "jobTitle", "title", "Staff", ApplyMode.ALWAYS);
        assertThat(withDefault.outcome()).isEqualTo(MappingValue.Outcome.DEFAULT_ON_CREATE);
        assertThat(withDefault.value()).isEqualTo("Staff");
        assertThat(withDefault.createOnly()).isTrue();
    }

    @Test
    void applyOnCreateOnlyIsReportedAndBooleanTargetsAreConverted() {
        assertThat(test(MappingType.DIRECT, "department", "title", null, ApplyMode.ONLY_DURING_CREATION).createOnly())
                .isTrue();
        MappingValue active = test(MappingType.EXPRESSION, "Not([IsSoftDeleted])", "active", null, null);
        assertThat(active.value()).isEqualTo(Boolean.TRUE);
        MappingValue notBoolean = test(MappingType.DIRECT, "department", "active", null, null);
        assertThat(notBoolean.outcome()).isEqualTo(MappingValue.Outcome.FAILED);
        assertThat(notBoolean.error()).contains("expected True or False").contains("Sales");
    }

    @Test
    void anEvaluationErrorIsReportedAndAnInvalidMappingIsRefusedNamingTheField() {
        MappingValue failed = test(MappingType.EXPRESSION, "DateFromNum([department])", "title", null, null);
        assertThat(failed.outcome()).isEqualTo(MappingValue.Outcome.FAILED);
        assertThat(failed.error()).isNotBlank();

        assertThatThrownBy(() -> test(MappingType.EXPRESSION, "Join(\".\", [givenName]", "title", null, null))
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.errors())
                        .extracting(ConfigError::field).containsExactly("mapping.source"));
        assertThatThrownBy(() -> test(MappingType.DIRECT, "mail", " ", null, null))
                .isInstanceOfSatisfying(InvalidConfigurationException.class, e -> assertThat(e.errors())
                        .extracting(ConfigError::field).containsExactly("mapping.target"));
    }

    @Test
    void ignoreFlowLeavesTheAttributeOut() {
        MappingValue v = test(MappingType.EXPRESSION, "IgnoreFlowIfNullOrEmpty([jobTitle])", "title", null, null);
        assertThat(v.outcome()).isEqualTo(MappingValue.Outcome.IGNORED);
        assertThat(Map.of("v", v).get("v").value()).isNull();
    }
}
