package dev.provisioning.mapping;

import static dev.provisioning.mapping.Fixtures.DEFAULT_ACCESS;
import static dev.provisioning.mapping.Fixtures.USER_ROLE;
import static dev.provisioning.mapping.Fixtures.druvaJob;
import static dev.provisioning.mapping.Fixtures.typicalUser;
import static dev.provisioning.mapping.Fixtures.user;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.provisioning.events.Assignment;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.MatchingAttribute;

class DruvaDefaultMappingTest {

    private final CompiledJob job = MappingEngine.compile(druvaJob());

    @Test
    void typicalUserIsUpsertedWithDruvaAttributesAndMatchedOnUserName() {
        Decision d = job.evaluateUser(user(typicalUser(), List.of(USER_ROLE)));

        assertThat(d).isInstanceOf(Decision.Upsert.class);
        Decision.Upsert upsert = (Decision.Upsert) d;
        assertThat(upsert.attributes()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "userName", "john.doe@contoso.com",
                "emails[type eq \"work\"].value", "John.Doe@contoso.com",
                "name.givenName", "John",
                "name.familyName", "Doe",
                "displayName", "John Doe",
                "active", Boolean.TRUE,
                "externalId", "jdoe"));
        assertThat(upsert.createOnlyAttributes()).isEmpty();
        assertThat(upsert.matching()).containsExactly(new MatchingAttribute("userName", "john.doe@contoso.com", 1));
    }

    @Test
    void userAssignedThroughAGroupIsUpserted() {
        Assignment viaGroup = new Assignment(USER_ROLE.appRoleId(), "group-1");
        assertThat(job.evaluateUser(user(typicalUser(), List.of(viaGroup)))).isInstanceOf(Decision.Upsert.class);
    }

    @Test
    void nullAttributesAreNeverSent() {
        Map<String, Object> attributes = typicalUser();
        attributes.remove("givenName");
        attributes.put("surname", null);

        Decision.Upsert upsert = (Decision.Upsert) job.evaluateUser(user(attributes, List.of(USER_ROLE)));

        assertThat(upsert.attributes()).doesNotContainKeys("name.givenName", "name.familyName")
                .doesNotContainValue(null);
    }

    @Test
    void userWithoutMailFailsWithMandatoryFieldsMissing() {
        Map<String, Object> attributes = typicalUser();
        attributes.remove("mail");

        Decision d = job.evaluateUser(user(attributes, List.of(USER_ROLE)));

        assertThat(d).isInstanceOfSatisfying(Decision.Fail.class, f -> {
            assertThat(f.errorCode()).isEqualTo(ErrorCodes.MANDATORY_FIELDS_MISSING);
            assertThat(f.reason()).contains("emails[type eq \"work\"].value").doesNotContain("userName");
        });
    }

    @Test
    void userWithOnlyDefaultAccessIsNotEffectivelyEntitled() {
        Decision d = job.evaluateUser(user(typicalUser(), List.of(DEFAULT_ACCESS)));

        assertThat(d).isInstanceOfSatisfying(Decision.Disable.class,
                x -> assertThat(x.reasonCode()).isEqualTo(ErrorCodes.NOT_EFFECTIVELY_ENTITLED));
    }

    @Test
    void unassignedUserIsDisabledAsNotEffectivelyEntitled() {
        Decision d = job.evaluateUser(user(typicalUser(), List.of()));

        assertThat(d).isInstanceOfSatisfying(Decision.Disable.class,
                x -> assertThat(x.reasonCode()).isEqualTo(ErrorCodes.NOT_EFFECTIVELY_ENTITLED));
    }

    @Test
    void disabledUserIsDisabledNeverUpserted() {
        Map<String, Object> attributes = typicalUser();
        attributes.put("accountEnabled", false);

        Decision d = job.evaluateUser(user(attributes, List.of(USER_ROLE)));

        // Entra's skip reason for a disabled user, with the reason saying which case it is
        assertThat(d).isInstanceOfSatisfying(Decision.Disable.class, x -> {
            assertThat(x.reasonCode()).isEqualTo(ErrorCodes.NOT_EFFECTIVELY_ENTITLED);
            assertThat(x.reason()).contains("disabled in the source").contains("IsActive False");
        });
    }

    @Test
    void softDeletedUserIsDisabled() {
        Decision d = job.evaluateUser(Fixtures.event(ChangeKind.SOFT_DELETED, typicalUser(), List.of(USER_ROLE)));

        assertThat(d).isInstanceOfSatisfying(Decision.Disable.class,
                x -> assertThat(x.reasonCode()).isEqualTo(ErrorCodes.OUT_OF_SCOPE));
    }

    @Test
    void hardDeletedUserIsDeleted() {
        Decision d = job.evaluateUser(Fixtures.event(ChangeKind.HARD_DELETED, Map.of(), List.of()));

        assertThat(d).isInstanceOf(Decision.Delete.class);
    }

    @Test
    void defaultMappingListIsTheDocumentedDruvaList() {
        assertThat(DruvaDefaults.userMappings()).extracting(m -> m.source() + " -> " + m.target()).containsExactly(
                "userPrincipalName -> userName",
                "mail -> emails[type eq \"work\"].value",
                "givenName -> name.givenName",
                "surname -> name.familyName",
                "displayName -> displayName",
                "Switch([IsSoftDeleted], , \"False\", \"True\", \"True\", \"False\") -> active",
                "mailNickname -> externalId");
        assertThat(MappingEngine.validate(druvaJob())).isEmpty();
    }
}
