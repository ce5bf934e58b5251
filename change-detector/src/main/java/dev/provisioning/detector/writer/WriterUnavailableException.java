package dev.provisioning.detector.writer;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** The scim-writer could not be asked (down, timed out, or answered with an error): answered with 502. */
public class WriterUnavailableException extends RuntimeException {

    public WriterUnavailableException(String message) {
        super(message);
    }

    /** The body of a 502 answer. */
    public record Problem(String title, int status, String detail) {
    }

    /** Maps the exception to a 502 that says what went wrong. */
    public static class Mapper {

        @ServerExceptionMapper
        public Response map(WriterUnavailableException e) {
            return Response.status(502).type(MediaType.APPLICATION_JSON)
                    .entity(new Problem("The scim-writer is unavailable", 502, e.getMessage())).build();
        }
    }
}
