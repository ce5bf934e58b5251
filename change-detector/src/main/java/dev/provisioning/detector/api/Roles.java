package dev.provisioning.detector.api;

/**
 * The app roles of the provisioning API, as the issuer puts them in the access token's {@code roles} claim (Entra ID:
 * the app registration's app roles, assigned to users, groups or applications). Each role includes the ones below it:
 * the endpoints list every role that may call them.
 */
public final class Roles {

    /** Configures jobs and their secrets, deletes jobs, allows held deletions; and everything an operator may do. */
    public static final String ADMIN = "Provisioning.Admin";
    /** Starts, pauses and restarts jobs, provisions on demand, tests a saved job's connection; and reads. */
    public static final String OPERATOR = "Provisioning.Operator";
    /** Reads jobs, their status and provisioning logs. */
    public static final String READER = "Provisioning.Reader";

    private Roles() {
    }
}
