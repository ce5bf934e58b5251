package dev.provisioning.writer.scim.client;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.events.Json;
import dev.provisioning.writer.retry.FailureKind;

/**
 * The final answer to a {@link ScimCall}, after retries. Immutable.
 *
 * <p>
 * The body is kept as the HTTP client received it, its bytes ({@link #of}): the provisioners read it as JSON
 * ({@link #json()}, Jackson's byte parser), so it is neither decoded to a {@code String} nor encoded back to bytes on
 * the way (issue 13: twice per SCIM answer, the writer's hottest path). Its text ({@link #body()}) is made when asked
 * for (a connection test, a failure's detail).
 */
public final class ScimAnswer {

    private static final byte[] EMPTY = new byte[0];

    private final int status;
    private final byte[] body;
    private final FailureKind kind;
    private final int attempts;
    private final String problem;

    /**
     * @param status the HTTP status, or 0 when the target never answered
     * @param body the response body (may be empty or null: no body)
     * @param kind what the answer means
     * @param attempts how many times the request was sent
     * @param problem for a failure, what went wrong in a sentence (the SCIM error detail, or the transport error)
     */
    public ScimAnswer(int status, String body, FailureKind kind, int attempts, String problem) {
        this(status, body == null ? EMPTY : body.getBytes(StandardCharsets.UTF_8), kind, attempts, problem);
    }

    private ScimAnswer(int status, byte[] body, FailureKind kind, int attempts, String problem) {
        this.status = status;
        this.body = body;
        this.kind = kind;
        this.attempts = attempts;
        this.problem = problem;
    }

    /**
     * An answer whose body is {@code body}'s bytes as received (UTF-8, as SCIM's JSON is): not copied, so the caller
     * gives them up.
     */
    public static ScimAnswer of(int status, byte[] body, FailureKind kind, int attempts, String problem) {
        return new ScimAnswer(status, body == null ? EMPTY : body, kind, attempts, problem);
    }

    /** The HTTP status, or 0 when the target never answered. */
    public int status() {
        return status;
    }

    /** The response body as text (decoded from UTF-8 on each call); empty when there was none. */
    public String body() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** What the answer means. */
    public FailureKind kind() {
        return kind;
    }

    /** How many times the request was sent. */
    public int attempts() {
        return attempts;
    }

    /** For a failure, what went wrong in a sentence (the SCIM error detail, or the transport error); null for none. */
    public String problem() {
        return problem;
    }

    public boolean ok() {
        return kind == FailureKind.NONE;
    }

    /**
     * The body as a JSON tree: null when it is empty or not JSON. Parsed from its UTF-8 bytes as received (Jackson's
     * byte parser): parsed from text, each body was widened to UTF-16 and every name compared char by char, about a
     * third of the parsing's CPU samples in the writer (issue 13, twelfth round).
     */
    public JsonNode json() {
        if (isBlank(body)) {
            return null;
        }
        try {
            return Json.mapper().readTree(body);
        } catch (Exception e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return "ScimAnswer[status=" + status + ", kind=" + kind + ", attempts=" + attempts + ", problem=" + problem
                + ", body=" + body.length + " bytes]";
    }

    /** Whether the bytes are only JSON whitespace (or none). */
    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return false;
            }
        }
        return true;
    }
}
