package dev.provisioning.mapping;

import static dev.provisioning.mapping.Fixtures.DEFAULT_ACCESS;
import static dev.provisioning.mapping.Fixtures.USER_ROLE;
import static dev.provisioning.mapping.Fixtures.job;
import static dev.provisioning.mapping.Fixtures.typicalUser;
import static dev.provisioning.mapping.Fixtures.user;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.MatchingAttribute;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.job.ApplyMode;
import dev.provisioning.events.job.AttributeMapping;
import dev.provisioning.events.job.MappingType;
import dev.provisioning.events.job.ProvisioningScope;
import dev.provisioning.events.job.ScopingClause;
import dev.provisioning.events.job.ScopingFilter;
import dev.provisioning.events.job.ScopingOperator;
import dev.provisioning.events.job.TargetObjectActions;

class MappingEngineTest {

    private static final List<ScopingFilter> SALES_ONLY = List.of(
            new ScopingFilter("sales", List.of(new ScopingClause("department", ScopingOperator.EQUALS, "Sales"))));

    // --- scope, entitlement and target object actions ---

    @Test
    void userOutsideTheScopingFiltersIsDisabledAsOutOfScope() {
        CompiledJob job = MappingEngine.compile(job(List.of(), SALES_ONLY, TargetObjectActions.ALL, false));
        Map<String, Object> attributes = typicalUser();
        attributes.put("department", "Marketing");

        Decision d = job.evaluateUser(user(attributes, List.of(USER_ROLE)));

        assertThat(d).isInstanceOfSatisfying(Decision.Disable.class, x -> {
            assertThat(x.reasonCode()).isEqualTo(ErrorCodes.OUT_OF_SCOPE);
            assertThat(x.reason()).contains("department EQUALS \"Sales\" is false");
        });
        assertThat(job.evaluateUser(user(typicalUser(), List.of(USER_ROLE)))).isInstanceOf(Decision.Upsert.class);
    }

    @Test
    void skipOutOfScopeDeletionsSkipsEveryIsSoftDeletedCase() {
        CompiledJob job = MappingEngine.compile(job(List.of(), SALES_ONLY, TargetObjectActions.ALL, true));
        Map<String, Object> marketing = typicalUser();
        marketing.put("department", "Marketing");
        Map<String, Object> disabled = typicalUser();
        disabled.put("accountEnabled", false);

        assertThat(job.evaluateUser(user(marketing, List.of(USER_ROLE)))).isEqualTo(new Decision.Skip(
                ProvisioningAction.Disable, ErrorCodes.OUT_OF_SCOPE,
                "not in scope of the scoping filters: filter 'sales': department EQUALS \"Sales\" is false; not disabled because SkipOutOfScopeDeletions is on"));
        assertThat(job.evaluateUser(user(typicalUser(), List.of()))).isInstanceOfSatisfying(Decision.Skip.class,
                s -> assertThat(s.reasonCode()).isEqualTo(ErrorCodes.NOT_EFFECTIVELY_ENTITLED));
        assertThat(job.evaluateUser(user(disabled, List.of(USER_ROLE)))).isInstanceOfSatisfying(Decision.Skip.class,
                s -> assertThat(s.reasonCode()).isEqualTo(ErrorCodes.NOT_EFFECTIVELY_ENTITLED));
        assertThat(job.evaluateUser(Fixtures.event(ChangeKind.SOFT_DELETED, typicalUser(), List.of(USER_ROLE))))
                .isInstanceOf(Decision.Skip.class);
        // a hard delete is governed by the Delete action, not by SkipOutOfScopeDeletions
        assertThat(job.evaluateUser(Fixtures.event(ChangeKind.HARD_DELETED, Map.of(), List.of())))
                .isInstanceOf(Decision.Delete.class);
    }

    @Test
    void hardDeleteIsSkippedWhenTheDeleteActionIsOff() {
        CompiledJob job = MappingEngine
                .compile(job(List.of(), List.of(), new TargetObjectActions(true, true, false), false));

        Decision d = job.evaluateUser(Fixtures.event(ChangeKind.HARD_DELETED, Map.of(), List.of()));

        assertThat(d).isInstanceOfSatisfying(Decision.Skip.class,
                s -> assertThat(s.reasonCode()).isEqualTo(ErrorCodes.ACTION_DISABLED));
    }

    @Test
    void disableIsSkippedWhenTheUpdateActionIsOff() {
        CompiledJob job = MappingEngine
                .compile(job(List.of(), List.of(), new TargetObjectActions(true, false, true), false));

        assertThat(job.evaluateUser(user(typicalUser(), List.of()))).isInstanceOfSatisfying(Decision.Skip.class,
                s -> assertThat(s.reasonCode()).isEqualTo(ErrorCodes.ACTION_DISABLED));
        assertThat(job.evaluateUser(user(typicalUser(), List.of(USER_ROLE)))).isInstanceOf(Decision.Upsert.class);
        assertThat(job.actions().update()).isFalse();
    }

    @Test
    void upsertIsSkippedWhenCreateAndUpdateAreBothOff() {
        CompiledJob job = MappingEngine
                .compile(job(List.of(), List.of(), new TargetObjectActions(false, false, true), false));

        assertThat(job.evaluateUser(user(typicalUser(), List.of(USER_ROLE)))).isInstanceOfSatisfying(
                Decision.Skip.class,
                s -> assertThat(s.reasonCode()).isEqualTo(ErrorCodes.ACTION_DISABLED));
    }

    @Test
    void defaultAccessOnlyUserIsEntitledWhenTheRuleIsOff() {
        var config = Fixtures.druvaJob();
        var ruleOff = new dev.provisioning.events.job.JobConfig(config.schemaVersion(), config.jobId(), config.name(),
                config.state(), config.tenantUrl(), config.secretToken(), config.notificationEmail(),
                config.notifyOnFailure(), config.scope(), false, config.patchDialect(), config.actions(),
                config.skipOutOfScopeDeletions(), config.userMappings(), config.userScopingFilters(), config.source(),
                config.cycleInterval(), config.revision(), config.updatedAt());

        Decision d = MappingEngine.compile(ruleOff).evaluateUser(user(typicalUser(), List.of(DEFAULT_ACCESS)));

        assertThat(d).isInstanceOf(Decision.Upsert.class);
    }

    @Test
    void scopeAllDoesNotRequireAnAssignment() {
        CompiledJob job = MappingEngine
                .compile(job(ProvisioningScope.ALL, List.of(), List.of(), TargetObjectActions.ALL, false));

        assertThat(job.evaluateUser(user(typicalUser(), List.of()))).isInstanceOf(Decision.Upsert.class);
        assertThat(job.evaluateUser(user(typicalUser(), List.of(DEFAULT_ACCESS)))).isInstanceOf(Decision.Upsert.class);
    }

    @Test
    void withoutAnIsSoftDeletedMappingOutOfScopeUsersAreLeftAlone() {
        List<AttributeMapping> mappings = List.of(
                direct("userPrincipalName", "userName", 1),
                direct("mail", "emails[type eq \"work\"].value", 0));
        CompiledJob job = MappingEngine.compile(job(mappings, List.of(), TargetObjectActions.ALL, false));

        assertThat(job.evaluateUser(user(typicalUser(), List.of()))).isInstanceOfSatisfying(Decision.Skip.class,
                s -> assertThat(s.reason()).contains("no mapping uses IsSoftDeleted"));
    }

    @Test
    void inconclusiveRegexDoesNotDisableTheUser() {
        List<ScopingFilter> filters = List.of(new ScopingFilter("evil",
                List.of(new ScopingClause("department", ScopingOperator.REGEX_MATCH, "((a+)+)+b"))));
        CompiledJob job = MappingEngine.compile(job(List.of(), filters, TargetObjectActions.ALL, false));
        Map<String, Object> attributes = typicalUser();
        attributes.put("department", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!");

        assertThat(job.evaluateUser(user(attributes, List.of(USER_ROLE)))).isInstanceOfSatisfying(Decision.Fail.class,
                f -> assertThat(f.errorCode()).isEqualTo(ReasonCodes.SCOPING_EVALUATION_FAILED));
    }

    // --- mappings ---

    @Test
    void mappingTypesApplyModesAndDefaultValues() {
        List<AttributeMapping> mappings = List.of(
                direct("userPrincipalName", "userName", 1),
                direct("mail", "emails[type eq \"work\"].value", 2),
                new AttributeMapping(MappingType.CONSTANT, "Contoso", "title", null, ApplyMode.ALWAYS, 0),
                new AttributeMapping(MappingType.DIRECT, "jobTitle", "jobTitle", "Employee", ApplyMode.ALWAYS, 0),
                new AttributeMapping(MappingType.EXPRESSION, "Join(\" \", [givenName], [surname])", "name.formatted",
                        null, ApplyMode.ONLY_DURING_CREATION, 0),
                new AttributeMapping(MappingType.NONE, null, "preferredLanguage", "en-US", ApplyMode.ALWAYS, 0),
                new AttributeMapping(MappingType.EXPRESSION, "IgnoreFlowIfNullOrEmpty([costCenter])", "costCenter",
                        "none", ApplyMode.ALWAYS, 0),
                new AttributeMapping(MappingType.DIRECT, "accountEnabled", "active", null, ApplyMode.ALWAYS, 0),
                new AttributeMapping(MappingType.EXPRESSION,
                        "Switch([IsSoftDeleted], , \"False\", \"True\", \"True\", \"False\")",
                        "emails[type eq \"work\"].primary", null, ApplyMode.ALWAYS, 0));
        CompiledJob job = MappingEngine.compile(job(mappings, List.of(), TargetObjectActions.ALL, false));

        Decision.Upsert upsert = (Decision.Upsert) job.evaluateUser(user(typicalUser(), List.of(USER_ROLE)));

        assertThat(upsert.attributes()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "userName", "john.doe@contoso.com",
                "emails[type eq \"work\"].value", "John.Doe@contoso.com",
                "title", "Contoso",
                "active", true,
                "emails[type eq \"work\"].primary", true));
        assertThat(upsert.createOnlyAttributes()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "jobTitle", "Employee",
                "name.formatted", "John Doe",
                "preferredLanguage", "en-US"));
        assertThat(upsert.attributesForCreate()).hasSize(8);
        assertThat(upsert.matching()).containsExactly(
                new MatchingAttribute("userName", "john.doe@contoso.com", 1),
                new MatchingAttribute("emails[type eq \"work\"].value", "John.Doe@contoso.com", 2));
    }

    @Test
    void userWithoutUserPrincipalNameOrMailNamesBothMissingAttributes() {
        Map<String, Object> attributes = typicalUser();
        attributes.remove("mail");
        attributes.put("userPrincipalName", "  ");

        Decision d = MappingEngine.compile(Fixtures.druvaJob()).evaluateUser(user(attributes, List.of(USER_ROLE)));

        assertThat(d).isEqualTo(new Decision.Fail(ProvisioningAction.Update, ErrorCodes.MANDATORY_FIELDS_MISSING,
                "Druva requires emails[type eq \"work\"].value and userName, which have no value for this user"));
    }

    @Test
    void expressionThatCannotBeEvaluatedFailsTheUser() {
        List<AttributeMapping> mappings = new ArrayList<>(DruvaDefaults.userMappings());
        mappings.add(new AttributeMapping(MappingType.EXPRESSION, "CDate([hireDate])", "urn:hireDate", null,
                ApplyMode.ALWAYS, 0));
        CompiledJob job = MappingEngine.compile(job(mappings, List.of(), TargetObjectActions.ALL, false));
        Map<String, Object> attributes = typicalUser();
        attributes.put("hireDate", "not a date");

        assertThat(job.evaluateUser(user(attributes, List.of(USER_ROLE)))).isEqualTo(new Decision.Fail(
                ProvisioningAction.Update, ReasonCodes.EXPRESSION_EVALUATION_FAILED,
                "userMappings[7] (urn:hireDate): 'not a date' is not a date and time"));
    }

    @Test
    void virtualAttributesAndRedaction() {
        List<AttributeMapping> mappings = new ArrayList<>(DruvaDefaults.userMappings());
        mappings.add(new AttributeMapping(MappingType.EXPRESSION, "SingleAppRoleAssignment([appRoleAssignments])",
                "roles[primary eq \"True\"].value", null, ApplyMode.ALWAYS, 0));
        mappings.add(new AttributeMapping(MappingType.EXPRESSION, "Redact([objectId])", "urn:sourceId", null,
                ApplyMode.ALWAYS, 0));
        CompiledJob job = MappingEngine.compile(job(mappings, List.of(), TargetObjectActions.ALL, false));

        Decision.Upsert upsert = (Decision.Upsert) job
                .evaluateUser(user(typicalUser(), List.of(USER_ROLE, DEFAULT_ACCESS)));

        assertThat(upsert.attributes()).containsEntry("roles[primary eq \"True\"].value", USER_ROLE.appRoleId())
                .containsEntry("urn:sourceId", "11111111-2222-3333-4444-555555555555");
        assertThat(job.redactedTargets()).containsExactly("urn:sourceId");
    }

    // --- validation ---

    @Test
    void validateReportsEveryProblemWithItsField() {
        List<AttributeMapping> mappings = List.of(
                direct("userPrincipalName", "userName", 1),
                new AttributeMapping(MappingType.EXPRESSION, "Replace([mail], \"a\"", "displayName", null, null, 0),
                new AttributeMapping(MappingType.EXPRESSION, "Frobnicate([mail])", "nickName", null, null, 0),
                direct("givenName", "displayName", 0),
                direct("surname", " ", 0),
                direct("", "title", 1),
                new AttributeMapping(MappingType.CONSTANT, "maybe", "active", "perhaps", null, 0),
                new AttributeMapping(null, "x", "locale", null, null, -1));
        List<ScopingFilter> filters = List.of(new ScopingFilter("f", List.of(
                new ScopingClause("department", ScopingOperator.EQUALS, "Sales"),
                new ScopingClause("employeeId", ScopingOperator.GREATER_THAN_OR_EQUALS, "one"))));

        List<ConfigError> errors = MappingEngine.validate(job(mappings, filters, TargetObjectActions.ALL, false));

        assertThat(errors).containsExactly(
                new ConfigError("userMappings[1].source",
                        "at position 20: expected ')' after the arguments of Replace"),
                new ConfigError("userMappings[2].source", "at position 1: unknown function 'Frobnicate'"),
                new ConfigError("userMappings[3].target",
                        "target attribute 'displayName' is already mapped by userMappings[1]"),
                new ConfigError("userMappings[4].target", "a target attribute is required"),
                new ConfigError("userMappings[5].matchingPrecedence",
                        "matching precedence 1 is already used by userMappings[0]"),
                new ConfigError("userMappings[5].source", "a source attribute is required"),
                new ConfigError("userMappings[6].defaultValue",
                        "'active' is a boolean: expected True or False, found 'perhaps'"),
                new ConfigError("userMappings[7].matchingPrecedence", "expected 0 (not matching) or 1 and above"),
                new ConfigError("userMappings[7].type",
                        "a mapping type is required: DIRECT, CONSTANT, EXPRESSION or NONE"),
                new ConfigError("userMappings", "Druva requires a mapping to 'emails[type eq \"work\"].value'"),
                new ConfigError("userScopingFilters[0].clauses[1].value",
                        "GREATER_THAN_OR_EQUALS compares integers: expected an integer, found 'one'"));
    }

    @Test
    void validateRequiresAMatchingAttribute() {
        List<AttributeMapping> mappings = List.of(
                direct("userPrincipalName", "userName", 0),
                direct("mail", "emails[type eq \"work\"].value", 0));

        assertThat(MappingEngine.validate(job(mappings, List.of(), TargetObjectActions.ALL, false)))
                .containsExactly(new ConfigError("userMappings", "at least one mapping must be a matching attribute "
                        + "(matchingPrecedence 1), e.g. userPrincipalName -> userName"));
    }

    @Test
    void compileThrowsWithTheSameErrorsAsValidate() {
        var config = job(List.of(direct("userPrincipalName", "userName", 0)), List.of(), TargetObjectActions.ALL,
                false);

        assertThatThrownBy(() -> MappingEngine.compile(config))
                .isInstanceOfSatisfying(InvalidConfigurationException.class,
                        e -> assertThat(e.errors()).isEqualTo(MappingEngine.validate(config)));
    }

    private static AttributeMapping direct(String source, String target, int precedence) {
        return new AttributeMapping(MappingType.DIRECT, source, target, null, ApplyMode.ALWAYS, precedence);
    }
}
