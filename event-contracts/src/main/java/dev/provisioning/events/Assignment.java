package dev.provisioning.events;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * One app role assignment that makes an object a candidate for provisioning.
 *
 * @param appRoleId the app role; {@link #DEFAULT_ACCESS} is Entra's "Default Access" role
 * @param viaGroupId null for a direct assignment, else the assigned group the user is a direct member of
 */
public record Assignment(String appRoleId, String viaGroupId) {

    /** Entra's Default Access app role id. Users whose only assignments carry it are not effectively entitled. */
    public static final String DEFAULT_ACCESS = "00000000-0000-0000-0000-000000000000";

    /** Whether this assignment grants only Entra's Default Access role. */
    @JsonIgnore
    public boolean isDefaultAccess() {
        return DEFAULT_ACCESS.equals(appRoleId);
    }
}
