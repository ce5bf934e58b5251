package dev.provisioning.druva;

/**
 * A SCIM error answer: the HTTP status, the RFC 7644 {@code scimType} (may be null) and a detail message.
 * Thrown by the directory and the request pipeline, rendered by {@link ScimHandler}.
 */
final class ScimException extends RuntimeException {

    private final int status;
    private final String scimType;
    private final long retryAfterSeconds;

    ScimException(int status, String scimType, String detail) {
        this(status, scimType, detail, 0);
    }

    ScimException(int status, String scimType, String detail, long retryAfterSeconds) {
        super(detail, null, false, false);
        this.status = status;
        this.scimType = scimType;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    static ScimException invalidValue(String detail) {
        return new ScimException(400, "invalidValue", detail);
    }

    static ScimException invalidSyntax(String detail) {
        return new ScimException(400, "invalidSyntax", detail);
    }

    static ScimException invalidFilter(String detail) {
        return new ScimException(400, "invalidFilter", detail);
    }

    static ScimException invalidPath(String detail) {
        return new ScimException(400, "invalidPath", detail);
    }

    static ScimException mutability(String detail) {
        return new ScimException(400, "mutability", detail);
    }

    static ScimException uniqueness(String detail) {
        return new ScimException(409, "uniqueness", detail);
    }

    static ScimException notFound(String detail) {
        return new ScimException(404, null, detail);
    }

    int status() {
        return status;
    }

    String scimType() {
        return scimType;
    }

    /** Seconds for a {@code Retry-After} header, or 0 for none. */
    long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
