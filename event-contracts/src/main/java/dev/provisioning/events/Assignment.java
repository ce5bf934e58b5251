package dev.provisioning.events;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * One app role assignment that makes an object a candidate for provisioning, with the assigned role as the app defines
 * it (Graph {@code servicePrincipal.appRoles[]}, or a directory file's {@code appRoles[]}), so that expressions over
 * {@code [appRoleAssignments]} see the role and not only its id (customize-application-attributes.md, "Provisioning a
 * role to a SCIM app": the POST carries {@code roles[].value}).
 *
 * <p>
 * JSON: {@code {"appRoleId": "...", "viaGroupId": "...", "appRoleValue": "Admin", "appRoleDisplayName": "Admin"}}.
 * {@code appRoleValue} and {@code appRoleDisplayName} are optional and left out when null, so records written before
 * they existed read as roles known only by id (schema version 1 either way: see {@code package-info}).
 *
 * @param appRoleId the app role; {@link #DEFAULT_ACCESS} is Entra's "Default Access" role
 * @param viaGroupId null for a direct assignment, else the assigned group the user is a direct member of
 * @param appRoleValue the role's {@code value} (Graph {@code appRole.value}, nullable there too); null when the source
 *        did not say or the role has none
 * @param appRoleDisplayName the role's {@code displayName} (Graph {@code appRole.displayName}); null when unknown
 */
public record Assignment(String appRoleId, String viaGroupId, String appRoleValue, String appRoleDisplayName) {

    /** Entra's Default Access app role id. Users whose only assignment carries it are not effectively entitled. */
    public static final String DEFAULT_ACCESS = "00000000-0000-0000-0000-000000000000";

    /** The canonical constructor, named for Jackson since the record has two. */
    @JsonCreator
    public Assignment {
    }

    /** An assignment of a role known only by its id (the role's value and display name unknown). */
    public Assignment(String appRoleId, String viaGroupId) {
        this(appRoleId, viaGroupId, null, null);
    }

    /** This assignment with the role's value and display name, as the app's role definitions give them. */
    public Assignment withRole(String value, String displayName) {
        return new Assignment(appRoleId, viaGroupId, value, displayName);
    }

    /** Whether this assignment grants only Entra's Default Access role. */
    @JsonIgnore
    public boolean isDefaultAccess() {
        return DEFAULT_ACCESS.equals(appRoleId);
    }
}
