package dev.provisioning.detector.api;

import java.util.List;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** A job configuration that was refused; answered with 400 and every bad field. */
public class InvalidJobException extends RuntimeException {

    private final List<FieldError> errors;

    public InvalidJobException(List<FieldError> errors) {
        super("invalid job configuration: " + errors);
        this.errors = List.copyOf(errors);
    }

    public List<FieldError> errors() {
        return errors;
    }

    /** The body of a 400 answer. */
    public record Problem(String title, int status, List<FieldError> errors) {
    }

    /** Maps the exception to a 400 with the list of field errors. */
    public static class Mapper {

        @ServerExceptionMapper
        public Response map(InvalidJobException e) {
            return Response.status(400).type(MediaType.APPLICATION_JSON)
                    .entity(new Problem("Invalid job configuration", 400, e.errors())).build();
        }
    }
}
