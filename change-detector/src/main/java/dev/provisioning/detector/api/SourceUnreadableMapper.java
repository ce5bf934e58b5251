package dev.provisioning.detector.api;

import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import dev.provisioning.detector.source.SourceException;
import dev.provisioning.rest.Problem;

/**
 * A job's source that cannot be read while answering a request (provision on demand, the console's source objects and
 * mapping tests) is the source's problem, not the request's: 503, an RFC 9457 problem whose detail names the source's
 * complaint (a file path and line, or Graph's error; never a secret).
 */
public class SourceUnreadableMapper {

    @ServerExceptionMapper
    public Response map(SourceException e) {
        return Problem.of(Response.Status.SERVICE_UNAVAILABLE, "The job's source cannot be read: " + e.getMessage())
                .toResponse();
    }
}
