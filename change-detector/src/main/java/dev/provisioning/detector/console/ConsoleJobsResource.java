package dev.provisioning.detector.console;

import java.util.List;
import java.util.Optional;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.api.QueryParameters;
import dev.provisioning.detector.api.Roles;

/**
 * The calls the operator console makes beyond the jobs API, on the same path and with the same bearer tokens and
 * roles: test one attribute mapping against one source user (Entra's "Test expression"), pick a user or group of the
 * job's source, and read the secret token's expiry. All read-only. The held deletions and escrowed objects are not
 * here: the console reads them from the job's status ({@code GET /jobs/{id}/status}), as every other client does.
 */
@Path("/jobs")
@Tag(name = "Jobs")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ConsoleJobsResource {

    private final ConsoleQueries queries;

    public ConsoleJobsResource(ConsoleQueries queries) {
        this.queries = queries;
    }

    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN})
    @POST
    @Path("/{id}/mappings/test")
    @Operation(summary = "Test one attribute mapping against one user of the job's source", description = "Body "
            + "{\"mapping\": {type, source, target, defaultValue, apply, matchingPrecedence}, \"objectId\": \"<source "
            + "id>\"}; the mapping need not be saved. Answers the value Druva would receive (outcome SENT, or "
            + "DEFAULT_ON_CREATE, NOT_SENT for null, IGNORED, FAILED with the error) and, in scope, why the job does "
            + "not provision the user now. 400 naming objectId or the mapping's field (mapping.source: the position of "
            + "an expression error).")
    public Uni<ConsoleViews.MappingTest> testMapping(@PathParam("id") String id,
            ConsoleViews.MappingTestRequest request) {
        return queries.testMapping(id, request).map(found -> orNotFound(found, id));
    }

    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN})
    @GET
    @Path("/{id}/source-objects")
    @Operation(summary = "Users and groups of the job's source whose id, name, user principal name or mail contains "
            + "search", description = "Users first, at most limit (1 to 200, default 20). For picking a user to test a "
                    + "mapping with or to provision on demand. Any other query parameter is a 400 problem naming it.")
    public Uni<List<ConsoleViews.SourceObject>> sourceObjects(@PathParam("id") String id,
            @QueryParam("search") String search, @QueryParam("limit") String limit, @Context UriInfo uri) {
        QueryParameters.only(uri, "search", "limit");
        int size = limit == null ? 20 : (int) QueryParameters.wholeNumber("limit", limit, 200);
        return queries.sourceObjects(id, search, size).map(found -> orNotFound(found, id));
    }

    @RolesAllowed({Roles.READER, Roles.OPERATOR, Roles.ADMIN})
    @GET
    @Path("/{id}/token-expiry")
    @Operation(summary = "When the secret token was set and when it expires", description = "expiresAt is "
            + "detector.token-lifetime after setAt (Druva: 365 days); expiringSoon within detector.token-expiry-warning.")
    public Uni<ConsoleViews.TokenExpiry> tokenExpiry(@PathParam("id") String id) {
        return queries.tokenExpiry(id).map(found -> orNotFound(found, id));
    }

    private static <T> T orNotFound(Optional<T> found, String id) {
        return found.orElseThrow(() -> new NotFoundException("no job " + id));
    }
}
