package dev.provisioning.writer.scim;

import java.util.Set;

/** The SCIM attribute paths of a Druva user, as the mapper names them in {@code ScimOperation.attributes}. */
public final class ScimPaths {

    public static final String USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
    public static final String PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    public static final String USERS = "/Users";

    public static final String USER_NAME = "userName";
    public static final String EXTERNAL_ID = "externalId";
    public static final String DISPLAY_NAME = "displayName";
    public static final String ACTIVE = "active";
    public static final String GIVEN_NAME = "name.givenName";
    public static final String FAMILY_NAME = "name.familyName";
    /**
     * The full name, {@code "given family"}: derived by the writer from given and family name unless mapped
     * ({@link UserState#withDerived}).
     */
    public static final String FORMATTED_NAME = "name.formatted";
    public static final String WORK_EMAIL = "emails[type eq \"work\"].value";

    /**
     * What Druva lets a client change on an existing user: display name, the name (first, last and formatted), email
     * and active (BEHAVIOUR.md section 1). Other differences (userName, externalId) are not sent in a PATCH; Druva
     * would reject them.
     */
    public static final Set<String> DRUVA_UPDATABLE = Set.of(DISPLAY_NAME, GIVEN_NAME, FAMILY_NAME, FORMATTED_NAME,
            WORK_EMAIL, ACTIVE);

    private ScimPaths() {
    }

    /** The path of one user: {@code /Users/{id}}. */
    public static String user(String id) {
        return USERS + "/" + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8);
    }
}
