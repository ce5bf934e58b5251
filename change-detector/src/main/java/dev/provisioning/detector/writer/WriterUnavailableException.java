package dev.provisioning.detector.writer;

import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import dev.provisioning.rest.Problem;

/**
 * The scim-writer could not be asked (down, timed out, or answered with an error): answered with 502, an RFC 9457
 * problem whose detail says what went wrong.
 */
public class WriterUnavailableException extends RuntimeException {

    public WriterUnavailableException(String message) {
        super(message);
    }

    /** Maps the exception to a 502 problem. */
    public static class Mapper {

        @ServerExceptionMapper
        public Response map(WriterUnavailableException e) {
            return Problem.of(Response.Status.BAD_GATEWAY, "The scim-writer is unavailable: " + e.getMessage())
                    .toResponse();
        }
    }
}
