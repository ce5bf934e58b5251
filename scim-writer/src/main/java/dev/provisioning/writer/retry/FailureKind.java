package dev.provisioning.writer.retry;

import dev.provisioning.events.ErrorCodes;

/** What an answer (or the lack of one) from the target means for the request that caused it. */
public enum FailureKind {
    /** 2xx: the request did what it was asked. */
    NONE(false, null),
    /** 5xx (but 501), 408, a timeout or a refused/reset connection: worth another attempt after a backoff. */
    TRANSIENT(true, ErrorCodes.TARGET_UNAVAILABLE),
    /** 429: the target asks us to slow down; honour its Retry-After. */
    THROTTLED(true, ErrorCodes.TOO_MANY_REQUESTS),
    /** 401: the token is wrong or expired; retrying cannot help. */
    UNAUTHORIZED(false, ErrorCodes.INVALID_CREDENTIALS),
    /** 404: the resource does not exist; the caller decides what that means (an invalid anchor, a done delete). */
    NOT_FOUND(false, ErrorCodes.INVALID_ANCHOR),
    /** 409: a uniqueness conflict; the caller decides (match again after a create). */
    CONFLICT(false, ErrorCodes.ENTRY_CONFLICT),
    /** Any other 4xx (400, 403, ...) or an unusable request: the target and we disagree; do not retry. */
    PERMANENT(false, ErrorCodes.TARGET_ERROR);

    private final boolean retryable;
    private final String errorCode;

    FailureKind(boolean retryable, String errorCode) {
        this.retryable = retryable;
        this.errorCode = errorCode;
    }

    /** Whether another attempt of the same request may succeed. */
    public boolean retryable() {
        return retryable;
    }

    /** The Entra error code reported when this is the final outcome; null for {@link #NONE}. */
    public String errorCode() {
        return errorCode;
    }
}
