package dev.provisioning.detector.api;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.persistence.ProvisioningLogRepository.LogRecord;

/** The provisioning jobs API: what an administrator does on Entra's Provisioning tab. */
@Path("/jobs")
@Tag(name = "Jobs")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class JobsResource {

    private final JobService service;

    public JobsResource(JobService service) {
        this.service = service;
    }

    @POST
    @Operation(summary = "Create a provisioning job", description = "Provisioning status On starts the initial cycle.")
    public Uni<Response> create(JobRequest request) {
        return service.create(request).map(job -> Response.status(201).entity(job).build());
    }

    @GET
    @Operation(summary = "List jobs")
    public Uni<List<JobView>> list() {
        return service.list();
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "Read a job (the secret token is never returned)")
    public Uni<JobView> get(@PathParam("id") String id) {
        return service.find(id).map(found -> orNotFound(found, id));
    }

    @PUT
    @Path("/{id}")
    @Operation(summary = "Change a job", description = "An absent secretToken keeps the current one. A change to mappings, "
            + "scoping filters or scope makes the next cycle a full one.")
    public Uni<JobView> update(@PathParam("id") String id, JobRequest request) {
        return service.update(id, request).map(found -> orNotFound(found, id));
    }

    @POST
    @Path("/{id}/start")
    @Operation(summary = "Start provisioning (status On); the next cycle runs now")
    public Uni<JobView> start(@PathParam("id") String id) {
        return service.start(id).map(found -> orNotFound(found, id));
    }

    @POST
    @Path("/{id}/pause")
    @Operation(summary = "Pause provisioning (status Off); the running cycle finishes")
    public Uni<JobView> pause(@PathParam("id") String id) {
        return service.pause(id).map(found -> orNotFound(found, id));
    }

    @GET
    @Path("/{id}/status")
    @Operation(summary = "Synchronisation details: state, current cycle with counts and progress, last error")
    public Uni<JobStatusView> status(@PathParam("id") String id) {
        return service.status(id).map(found -> orNotFound(found, id));
    }

    @GET
    @Path("/{id}/logs")
    @Operation(summary = "Provisioning logs, newest first, filtered by cycle, object, action, status and time")
    public Uni<List<LogRecord>> logs(@PathParam("id") String id, @QueryParam("cycleId") String cycleId,
            @QueryParam("objectId") String objectId, @QueryParam("action") String action,
            @QueryParam("status") String status, @QueryParam("since") String since,
            @QueryParam("limit") @DefaultValue("100") int limit) {
        OffsetDateTime from;
        try {
            from = since == null ? null : OffsetDateTime.parse(since);
        } catch (java.time.format.DateTimeParseException e) {
            throw new InvalidJobException(
                    List.of(new FieldError("since", "must be an ISO-8601 date-time with offset")));
        }
        if (limit < 1 || limit > 1000) {
            throw new InvalidJobException(List.of(new FieldError("limit", "must be between 1 and 1000")));
        }
        return service.find(id).map(found -> orNotFound(found, id))
                .chain(job -> service.logs(id, cycleId, objectId, action, status, from, limit));
    }

    private static <T> T orNotFound(Optional<T> found, String id) {
        return found.orElseThrow(() -> new NotFoundException("no job " + id));
    }
}
