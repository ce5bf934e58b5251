package dev.provisioning.writer.api;

/** The app role that may call the scim-writer's internal API, as the issuer puts it in the token's {@code roles}. */
public final class Roles {

    /**
     * The change-detector's service identity (Entra ID: an application permission of the provisioning API, granted to
     * the change-detector's app registration; it gets tokens by the client credentials grant). No person has it.
     */
    public static final String SERVICE = "Provisioning.Service";

    private Roles() {
    }
}
