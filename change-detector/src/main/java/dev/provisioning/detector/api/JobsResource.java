package dev.provisioning.detector.api;

import java.net.URI;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.RestResponse.ResponseBuilder;

import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.cycle.ProvisionOnDemand;
import dev.provisioning.detector.persistence.AuditLog;
import dev.provisioning.detector.persistence.ProvisioningLogRepository.LogRecord;
import dev.provisioning.detector.persistence.ProvisioningLogRepository.Position;
import dev.provisioning.detector.safety.HeldDeletions;
import dev.provisioning.detector.writer.WriterClient;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningStatus;

/**
 * The provisioning jobs API: what an administrator does on Entra's Provisioning tab. Every endpoint needs a bearer
 * token with one of the roles it lists ({@link Roles}); 401 and 403 otherwise (RFC 9457 problem details). Bodies are
 * JSON only (415 otherwise); an endpoint that takes no body also takes a request without a Content-Type.
 */
@Path("/jobs")
@Tag(name = "Jobs")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class JobsResource {

    private final JobService service;
    private final SecurityIdentity identity;

    public JobsResource(JobService service, SecurityIdentity identity) {
        this.service = service;
        this.identity = identity;
    }

    /** Who calls, for the audit log: the bearer token's principal name. */
    private String actor() {
        String name = identity.getPrincipal() == null ? null : identity.getPrincipal().getName();
        return name == null || name.isBlank() ? AuditTrail.UNKNOWN_ACTOR : name;
    }

    @RolesAllowed(Roles.ADMIN)
    @POST
    @Operation(summary = "Create a provisioning job", description = "Provisioning status On starts the initial cycle.")
    public Uni<Response> create(JobRequest request) {
        return service.create(request, actor()).map(job -> Response.status(201).entity(job).build());
    }

    @RolesAllowed({Roles.READER, Roles.OPERATOR, Roles.ADMIN})
    @GET
    @Operation(summary = "List jobs", description = "Every job; a job whose stored row this version cannot read is "
            + "listed after them with its id, name and state, the members that could be read (its configuration when "
            + "only its quarantine reason or deletion threshold is at fault, its deletion threshold when that can be "
            + "read), the others null, and problem: the RFC 9457 problem its own endpoints answer (409).")
    public Uni<List<JobView>> list() {
        return service.list();
    }

    @RolesAllowed({Roles.READER, Roles.OPERATOR, Roles.ADMIN})
    @GET
    @Path("/{id}")
    @Operation(summary = "Read a job (the secret token is never returned)")
    public Uni<JobView> get(@PathParam("id") String id) {
        return service.find(id).map(found -> orNotFound(found, id));
    }

    @RolesAllowed(Roles.ADMIN)
    @PUT
    @Path("/{id}")
    @Operation(summary = "Change a job", description = "Changes what the body sends: an absent (or null) member "
            + "keeps the job's current value, provisioningStatus included (saving new credentials never pauses or "
            + "starts a job; Off pauses it, On starts it); name, tenantUrl and source are required. A GET's body can "
            + "be sent back as it is: its read-only members (id, state, secretTokenConfigured, revision, updatedAt, "
            + "problem, source.graph.clientSecretSet) are ignored, and only what was edited changes (and is audited). "
            + "To clear notificationEmail send \"\", to drop the scoping filters [], to go back to the Druva "
            + "mapping userMappings []. An absent secretToken keeps the current one, but a new "
            + "tenantUrl needs the secretToken sent again (400 naming secretToken), and a new Graph authorityUrl or "
            + "graphUrl the clientSecret (400 naming source.graph.clientSecret): a stored secret never goes to a new "
            + "URL. A change to mappings, scoping filters or scope makes the next cycle a full one. A job whose "
            + "stored row this version cannot read (listed with a problem) is repaired in place by its whole "
            + "configuration, secretToken (and a Graph source's clientSecret) included: same id, its snapshot, "
            + "managed objects and provisioning log kept, audited as repair, next cycle full. Its problem (409, "
            + "RFC 9457) names every field of the row that cannot be read (errors, unreadableFields); when that "
            + "includes deletion_threshold, the PUT sends deletionThreshold and deletionThresholdPercent too. A PUT "
            + "that leaves out what the repair needs answers 409 naming every such field (errors, missingFields).")
    public Uni<JobView> update(@PathParam("id") String id, JobRequest request) {
        return service.update(id, request, actor()).map(found -> orNotFound(found, id));
    }

    @RolesAllowed(Roles.ADMIN)
    @DELETE
    @Path("/{id}")
    @Operation(summary = "Delete a job", description = "Publishes the job's tombstone on provisioning.jobs (the other "
            + "services forget it), stops its running cycle before the cycle's next event, then deletes its cycles, "
            + "snapshot, held deletions and provisioning log. 204.")
    public Uni<Response> delete(@PathParam("id") String id) {
        return service.delete(id, actor()).map(deleted -> {
            if (!deleted) {
                throw new NotFoundException("no job " + id);
            }
            return Response.noContent().build();
        });
    }

    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN})
    @POST
    @Path("/{id}/restart")
    @Operation(summary = "Restart a job with reset scopes", description = "Body {\"resetScope\":[\"Full\","
            + "\"Watermark\",\"Escrows\",\"QuarantineState\"]} (absent or empty: all). Full and Watermark forget "
            + "the snapshot, so the next cycle re-evaluates every object. Every restart discards the deletions held "
            + "by the deletion threshold, lifts a quarantine (QuarantineState is implied, as in Entra) and runs the "
            + "next cycle now. Escrows asks the scim-writer to discard the job's escrowed objects; if it cannot be "
            + "reached the answer lists that in notApplied.")
    public Uni<RestartView> restart(@PathParam("id") String id, RestartRequest request) {
        return service.restart(id, request, actor()).map(found -> orNotFound(found, id));
    }

    @RolesAllowed(Roles.ADMIN)
    @POST
    @Path("/{id}/allow-deletes")
    @Operation(summary = "Allow the deletions held by the deletion threshold", description = "Emits the held "
            + "disables and deletes in a release cycle of their own and lifts a DeletionThresholdExceeded quarantine. "
            + "Answers {\"released\": n, \"cycleId\": \"...\"} (0 and null when nothing was held).")
    public Uni<HeldDeletions.Release> allowDeletes(@PathParam("id") String id) {
        return service.allowDeletes(id, actor()).map(found -> orNotFound(found, id));
    }

    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN})
    @POST
    @Path("/{id}/test-connection")
    @Operation(summary = "Test the connection to Druva with the saved tenant URL and token", description = "Asks the "
            + "scim-writer to send Entra's test query. Answers {\"success\", \"httpStatus\", \"errorCode\", "
            + "\"message\"}; 502 when the scim-writer cannot be reached.")
    public Uni<WriterClient.ConnectionTestResult> testConnection(@PathParam("id") String id) {
        return service.testConnection(id).map(found -> orNotFound(found, id));
    }

    @RolesAllowed(Roles.ADMIN)
    @POST
    @Path("/test-connection")
    @Operation(summary = "Test the connection of a configuration before saving it", description = "Only tenantUrl and "
            + "secretToken of the JobRequest body are used (400 naming them when missing or invalid).")
    public Uni<WriterClient.ConnectionTestResult> testUnsavedConnection(JobRequest request) {
        return service.testConnection(request);
    }

    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN})
    @POST
    @Path("/{id}/provision-on-demand")
    @Operation(summary = "Provision one user, or a group of at most 5 members, now", description = "Body "
            + "{\"objectId\": \"<source id>\"}. Answers the steps Import, Scope, Match and Action with their "
            + "status and detail, and the result as the provisioning log records it; a group answers its members'. "
            + "400 naming objectId when it is unknown or a group has more than 5 members.")
    public Uni<ProvisionOnDemand.Outcome> provisionOnDemand(@PathParam("id") String id, OnDemandRequest request) {
        return service.provisionOnDemand(id, request == null ? null : request.objectId())
                .map(found -> orNotFound(found, id));
    }

    /** The body of a provision on demand. */
    public record OnDemandRequest(String objectId) {
    }

    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN})
    @POST
    @Path("/{id}/start")
    @Operation(summary = "Start provisioning (status On); lifts a quarantine; the next cycle runs now")
    public Uni<JobView> start(@PathParam("id") String id) {
        return service.start(id, actor()).map(found -> orNotFound(found, id));
    }

    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN})
    @POST
    @Path("/{id}/pause")
    @Operation(summary = "Pause provisioning (status Off); the running cycle finishes")
    public Uni<JobView> pause(@PathParam("id") String id) {
        return service.pause(id, actor()).map(found -> orNotFound(found, id));
    }

    @RolesAllowed({Roles.READER, Roles.OPERATOR, Roles.ADMIN})
    @GET
    @Path("/{id}/status")
    @Operation(summary = "Synchronisation details: state, current cycle with counts and progress, last completed "
            + "cycle, last cycle with changes, last error, quarantine, held deletions")
    public Uni<JobStatusView> status(@PathParam("id") String id) {
        return service.status(id).map(found -> orNotFound(found, id));
    }

    @RolesAllowed({Roles.READER, Roles.OPERATOR, Roles.ADMIN})
    @GET
    @Path("/{id}/logs")
    @Operation(summary = "Provisioning logs, a page at a time", description = "The job's records filtered by cycleId "
            + "(a UUID, or on-demand-<UUID>), objectId (the source id), action (Create, Update, Disable, Delete, "
            + "StagedDelete or Other), status (Success, Failure, Skipped or Warning), errorCode (as the records show "
            + "it, e.g. RedundantExport) and since (occurred at or after it; ISO-8601 date-time with offset), newest "
            + "first (by occurredAt; records of one instant in a fixed order). Answers a JSON array of at most limit "
            + "records (1 to 1000, default 100). When older records match the same filters, the answer carries the "
            + "next page's cursor, twice: X-Next-Before: <cursor>, and an RFC 8288 Link: </jobs/{id}/logs?<the same "
            + "query>&before=<cursor>>; rel=\"next\". Sent as before with the same filters, it answers the records "
            + "after the last one of this page: following the links reads each record recorded before the first page "
            + "once, none skipped. The last page has neither header. The cursor is opaque and belongs to this job's "
            + "log: any other before answers 400 naming before. Readable also while the job's stored row cannot be "
            + "read. Values are matched as written (action=create matches nothing, so it is refused): a bad value, "
            + "or a parameter the endpoint does not take (a misspelt filter), is a 400 problem naming the parameter "
            + "and what it takes.")
    @APIResponse(responseCode = "200", description = "The page's records, newest first", headers = {
            @Header(name = NEXT_BEFORE, description = "The next page's cursor, for before; absent on the last page", schema = @Schema(type = SchemaType.STRING)),
            @Header(name = HttpHeaders.LINK, description = "</jobs/{id}/logs?<the same query>&before=<cursor>>; "
                    + "rel=\"next\" (RFC 8288); absent on the last page", schema = @Schema(type = SchemaType.STRING))}, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.ARRAY, implementation = LogRecord.class)))
    public Uni<RestResponse<List<LogRecord>>> logs(@PathParam("id") String id, @QueryParam("cycleId") String cycleId,
            @QueryParam("objectId") String objectId, @QueryParam("action") String action,
            @QueryParam("status") String status, @QueryParam("errorCode") String errorCode,
            @QueryParam("since") String since, @QueryParam("before") String before,
            @QueryParam("limit") String limit, @Context UriInfo uri) {
        QueryParameters.only(uri, "cycleId", "objectId", "action", "status", "errorCode", "since", "before", "limit");
        String cycle = QueryParameters.cycleId("cycleId", cycleId);
        String act = QueryParameters.oneOf("action", action, ProvisioningAction.class);
        String outcome = QueryParameters.oneOf("status", status, ProvisioningStatus.class);
        OffsetDateTime from;
        try {
            from = since == null ? null : OffsetDateTime.parse(since);
        } catch (java.time.format.DateTimeParseException e) {
            throw InvalidJobException.parameter("since", "must be an ISO-8601 date-time with offset");
        }
        int size = limit == null ? 100 : (int) QueryParameters.wholeNumber("limit", limit, 1000);
        Position after = before == null ? null : LogCursor.decode(id, before);
        // the log is the job's own table: it stays readable while the job's stored row cannot be read
        return service.exists(id).map(exists -> orNotFound(exists ? Optional.of(id) : Optional.empty(), id))
                .chain(job -> service.logs(id, cycle, objectId, act, outcome, errorCode, from, after, size))
                .map(page -> {
                    ResponseBuilder<List<LogRecord>> answer = ResponseBuilder.ok(page.records());
                    if (page.next() != null) {
                        String cursor = LogCursor.encode(id, page.next());
                        answer.header(NEXT_BEFORE, cursor)
                                .header(HttpHeaders.LINK,
                                        "<" + withBefore(uri.getRequestUri(), cursor) + ">; rel=\"next\"");
                    }
                    return answer.build();
                });
    }

    /** The header that carries the cursor of the provisioning log's next page. */
    static final String NEXT_BEFORE = "X-Next-Before";

    /**
     * The request's path and query, its {@code before} (if any) replaced by {@code cursor}: the other parameters stay
     * as the caller encoded them. A relative reference (RFC 3986 section 4.2, an absolute path): the caller resolves it
     * against the URI it called.
     */
    static String withBefore(URI request, String cursor) {
        StringBuilder query = new StringBuilder();
        if (request.getRawQuery() != null) {
            for (String parameter : request.getRawQuery().split("&")) {
                if (!parameter.isEmpty() && !parameter.equals("before") && !parameter.startsWith("before=")) {
                    query.append(parameter).append('&');
                }
            }
        }
        return request.getRawPath() + "?" + query + "before=" + cursor;
    }

    @RolesAllowed({Roles.READER, Roles.OPERATOR, Roles.ADMIN})
    @GET
    @Path("/{id}/audit")
    @Operation(summary = "The job's audit log, newest first", description = "Every change made through this API "
            + "(create, update, repair, delete, start, pause, restart, allow-deletes): when, who (the caller's token's "
            + "principal name), the action and the names of the fields that changed; never a value (a secret is "
            + "named as changed, nothing more). Answers {\"entries\": [...], \"nextBefore\": id or null}: pass "
            + "nextBefore as before for the next page. limit 1 to " + AuditLog.MAX_LIMIT + " (default 50). Entries "
            + "outlive a deleted job until the provisioning log's retention (detector.log-retention) purges them. "
            + "Any other query parameter is a 400 problem naming it.")
    public Uni<AuditPage> audit(@PathParam("id") String id, @QueryParam("before") String before,
            @QueryParam("limit") String limit, @Context UriInfo uri) {
        QueryParameters.only(uri, "before", "limit");
        Long cursor = before == null ? null : QueryParameters.wholeNumber("before", before, Long.MAX_VALUE);
        int size = limit == null ? 50 : (int) (long) QueryParameters.wholeNumber("limit", limit, AuditLog.MAX_LIMIT);
        return service.audit(id, cursor, size).map(found -> orNotFound(found, id))
                .map(entries -> new AuditPage(entries,
                        entries.size() < size ? null : entries.get(entries.size() - 1).id()));
    }

    /**
     * A page of the audit log.
     *
     * @param entries newest first
     * @param nextBefore the {@code before} of the next page; null when this is the last one
     */
    public record AuditPage(List<AuditLog.Entry> entries, Long nextBefore) {
    }

    private static <T> T orNotFound(Optional<T> found, String id) {
        return found.orElseThrow(() -> new NotFoundException("no job " + id));
    }
}
