package dev.provisioning.mapping;

import java.util.List;
import java.util.Set;

import dev.provisioning.events.job.ApplyMode;
import dev.provisioning.events.job.AttributeMapping;
import dev.provisioning.events.job.MappingType;

/**
 * The shipped Druva user mapping, used when a job's {@code userMappings} is empty. Microsoft does not publish the Druva
 * gallery app's exact list; this is Entra's default SCIM mapping reduced to what Druva uses.
 */
public final class DruvaDefaults {

    /** Druva's SCIM userName (the user's email address in Druva). */
    public static final String USER_NAME = "userName";
    /** The work email, which Druva requires. */
    public static final String WORK_EMAIL = "emails[type eq \"work\"].value";
    /** The target attribute that disables a user. */
    public static final String ACTIVE = "active";
    /** Entra's active mapping: false when the user is unassigned, out of scope, soft-deleted or disabled. */
    public static final String ACTIVE_EXPRESSION = "Switch([IsSoftDeleted], , \"False\", \"True\", \"True\", \"False\")";

    /** Target attributes without which Druva rejects a user: a user missing one fails with MandatoryFieldsMissing. */
    public static final Set<String> MANDATORY_TARGETS = Set.of(USER_NAME, WORK_EMAIL);

    private static final List<AttributeMapping> USER_MAPPINGS = List.of(
            direct("userPrincipalName", USER_NAME, 1),
            direct("mail", WORK_EMAIL, 0),
            direct("givenName", "name.givenName", 0),
            direct("surname", "name.familyName", 0),
            direct("displayName", "displayName", 0),
            new AttributeMapping(MappingType.EXPRESSION, ACTIVE_EXPRESSION, ACTIVE, null, ApplyMode.ALWAYS, 0),
            direct("mailNickname", "externalId", 0));

    private DruvaDefaults() {
    }

    /** The default Druva user mappings (immutable). */
    public static List<AttributeMapping> userMappings() {
        return USER_MAPPINGS;
    }

    private static AttributeMapping direct(String source, String target, int matchingPrecedence) {
        return new AttributeMapping(MappingType.DIRECT, source, target, null, ApplyMode.ALWAYS, matchingPrecedence);
    }
}
