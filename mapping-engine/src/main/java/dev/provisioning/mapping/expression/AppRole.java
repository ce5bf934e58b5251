package dev.provisioning.mapping.expression;

/**
 * One app role assigned to the user, as an item of the virtual attribute {@code [appRoleAssignments]}: the role's id,
 * {@code value} and {@code displayName} as the app defines them (Graph {@code servicePrincipal.appRoles[]}).
 *
 * <p>
 * Entra provisions a role by its value (customize-application-attributes.md, "Provisioning a role to a SCIM app": the
 * POST carries {@code "roles": [{"primary": true, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}]}).
 * Graph marks {@code appRole.value} nullable and Microsoft does not document what the functions return for a role
 * without one; this engine then uses the display name (Entra's own built-in roles, such as a non-gallery app's
 * {@code User} role, are defined with a display name and no value), and the id only when neither is known (an event
 * from a source that did not read the app's roles).
 *
 * @param id the app role id
 * @param value the role's value; may be null
 * @param displayName the role's display name; may be null
 */
public record AppRole(String id, String value, String displayName) {

    /** What the role is provisioned as: its value, else its display name, else its id. */
    public String name() {
        if (value != null && !value.isBlank()) {
            return value;
        }
        if (displayName != null && !displayName.isBlank()) {
            return displayName;
        }
        return id;
    }

    /** What the role is shown as: its display name, else its value, else its id. */
    public String display() {
        if (displayName != null && !displayName.isBlank()) {
            return displayName;
        }
        return name();
    }
}
