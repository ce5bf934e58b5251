package dev.provisioning.rest;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;

/**
 * The services' answers, as RFC 9457 problem details, to requests that never reach an endpoint's logic:
 * <ul>
 * <li>401 without a bearer token, or with one that is not valid (signature, issuer, audience, expiry), with the
 * {@code WWW-Authenticate: Bearer} challenge of RFC 6750 section 3;</li>
 * <li>403 when the token's roles do not include one the endpoint needs (named in the detail);</li>
 * <li>400 for a body that is not JSON, has a field of the wrong type, or a field the API does not know, naming the
 * field ({@link JsonProblems});</li>
 * <li>415 for a body that is not {@code application/json};</li>
 * <li>404 for an unknown resource.</li>
 * </ul>
 * Authentication failures reach these mappers because the services check tokens when an endpoint needs them
 * ({@code quarkus.http.auth.proactive=false}), not before routing.
 */
public class ProblemMappers {

    @ServerExceptionMapper
    public Response unauthorized(UnauthorizedException e) {
        return challenge("Bearer", "This request needs a bearer token (OAuth 2.0 access token) in the Authorization "
                + "header");
    }

    @ServerExceptionMapper
    public Response authenticationFailed(AuthenticationFailedException e) {
        return challenge("Bearer error=\"invalid_token\"", "The bearer token is not valid: it is expired, not signed "
                + "by the trusted issuer, or issued for another audience");
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e, ResourceInfo resource) {
        List<String> roles = rolesAllowed(resource);
        return Problem.of(Response.Status.FORBIDDEN, roles.isEmpty()
                ? "The token's roles do not allow this request"
                : "This request needs the role " + String.join(" or ", roles) + "; the token has none of them")
                .toResponse();
    }

    @ServerExceptionMapper
    public Response unreadableBody(JsonProcessingException e) {
        return JsonProblems.of(e).toResponse();
    }

    /** Quarkus REST has a mapper of its own for this type; the closest type wins, so it is named here. */
    @ServerExceptionMapper
    public Response mistypedBody(MismatchedInputException e) {
        return JsonProblems.of(e).toResponse();
    }

    @ServerExceptionMapper
    public Response unsupportedMediaType(NotSupportedException e) {
        return Problem.of(Response.Status.UNSUPPORTED_MEDIA_TYPE,
                "This endpoint takes a JSON body: send Content-Type: application/json (a request without a body may "
                        + "leave Content-Type out)")
                .toResponse();
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException e) {
        String message = e.getMessage();
        return Problem.of(Response.Status.NOT_FOUND,
                message == null || message.startsWith("HTTP 404") ? "No such resource" : message).toResponse();
    }

    /**
     * A body the JSON reader refused before Jackson's own exception reached a mapper arrives wrapped; anything else keeps
     * its own response.
     */
    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e) {
        if (e.getCause() instanceof JsonProcessingException json) {
            return JsonProblems.of(json).toResponse();
        }
        return e.getResponse();
    }

    private static Response challenge(String challenge, String detail) {
        Problem problem = Problem.of(Response.Status.UNAUTHORIZED, detail);
        return Response.status(401).type(Problem.MEDIA_TYPE).header(HttpHeaders.WWW_AUTHENTICATE, challenge)
                .entity(problem).build();
    }

    private static List<String> rolesAllowed(ResourceInfo resource) {
        if (resource == null) {
            return List.of();
        }
        Method method = resource.getResourceMethod();
        RolesAllowed allowed = method == null ? null : method.getAnnotation(RolesAllowed.class);
        if (allowed == null && resource.getResourceClass() != null) {
            allowed = resource.getResourceClass().getAnnotation(RolesAllowed.class);
        }
        return allowed == null ? List.of() : Arrays.asList(allowed.value());
    }
}
