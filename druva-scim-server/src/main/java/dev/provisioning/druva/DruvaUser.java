package dev.provisioning.druva;

/**
 * A snapshot of one user held by the fake Druva tenant.
 *
 * @param id the server-assigned SCIM id
 * @param userName the SCIM userName (unique, compared case-insensitively)
 * @param externalId the client's external id, or null
 * @param givenName {@code name.givenName}, or null
 * @param familyName {@code name.familyName}, or null
 * @param displayName the display name, or null
 * @param email the work (or primary) email; never null, Druva requires it
 * @param active the SCIM {@code active} flag
 * @param status {@code "Active"} or {@code "Preserved"} (Druva's name for a deactivated user)
 * @param formattedName {@code name.formatted}, or null
 */
public record DruvaUser(String id, String userName, String externalId, String givenName, String familyName,
        String displayName, String email, boolean active, String status, String formattedName) {

    /** Druva's status of an active user. */
    public static final String ACTIVE = "Active";
    /** Druva's status of a deactivated (or unassigned) user: kept, but without access. */
    public static final String PRESERVED = "Preserved";
}
