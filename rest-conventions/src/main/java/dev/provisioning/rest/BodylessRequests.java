package dev.provisioning.rest;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The APIs take JSON only: a request with a body must say {@code Content-Type: application/json}, any other media type
 * is refused with 415 (a form post, {@code text/plain}, XML). A request without a body ({@code Content-Length: 0}, or
 * neither {@code Content-Length} nor {@code Transfer-Encoding}, RFC 9112 section 6.3) carries no content of any media
 * type, so whatever it declares it is read as JSON with an absent body: {@code curl -X POST .../start} and clients
 * that label every POST as a form both work.
 */
public class BodylessRequests {

    @ServerRequestFilter(preMatching = true)
    public void bodylessIsJson(ContainerRequestContext request) {
        boolean noBody = request.getLength() == 0
                || request.getLength() < 0 && request.getHeaderString("Transfer-Encoding") == null;
        if (noBody) {
            request.getHeaders().putSingle(HttpHeaders.CONTENT_TYPE, MediaType.APPLICATION_JSON);
        }
    }
}
