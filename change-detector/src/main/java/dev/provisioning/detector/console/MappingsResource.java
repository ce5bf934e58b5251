package dev.provisioning.detector.console;

import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import dev.provisioning.detector.api.Roles;
import dev.provisioning.events.job.AttributeMapping;
import dev.provisioning.mapping.DruvaDefaults;

/** Druva's default attribute mappings: what a job with an empty {@code userMappings} list uses. */
@Path("/mappings")
@Tag(name = "Jobs")
@Produces(MediaType.APPLICATION_JSON)
public class MappingsResource {

    @RolesAllowed({Roles.READER, Roles.OPERATOR, Roles.ADMIN})
    @GET
    @Path("/defaults")
    @Operation(summary = "Druva's default attribute mappings", description = "A job whose userMappings is empty uses "
            + "these; the console shows them and starts an edit from them.")
    public List<AttributeMapping> defaults() {
        return DruvaDefaults.userMappings();
    }
}
