package dev.provisioning.druva;

import java.util.Set;

/**
 * A snapshot of one group held by the fake Druva tenant.
 *
 * @param id the server-assigned SCIM id
 * @param displayName the group's display name
 * @param externalId the client's external id, or null
 * @param memberIds the SCIM ids of the member users (immutable)
 */
public record DruvaGroup(String id, String displayName, String externalId, Set<String> memberIds) {

    public DruvaGroup {
        memberIds = Set.copyOf(memberIds);
    }
}
