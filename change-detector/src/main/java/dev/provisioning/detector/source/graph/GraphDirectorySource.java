package dev.provisioning.detector.source.graph;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.detector.source.Directory;
import dev.provisioning.detector.source.DirectorySource;
import dev.provisioning.detector.source.SourceException;
import dev.provisioning.events.job.GraphSource;

/**
 * Reads Entra through Microsoft Graph, for one cycle of one job.
 *
 * <p>
 * {@link #read()} loads the job's mirror, brings it up to date with the users and groups delta queries (from the stored
 * deltaLinks, or from scratch the first time and whenever Graph has forgotten a delta token), reads the app's role
 * assignments in full (Graph has no delta for them: the planner diffs them against the snapshot), and returns the whole
 * directory. Nothing is written. {@link #commit()}, called once the cycle's events are on Kafka, writes the changed
 * mirror objects and the new deltaLinks in one transaction: a crash before it replays the same delta next time.
 */
public final class GraphDirectorySource implements DirectorySource {

    /** The user attributes read, by Graph name: those the Druva mappings and usual scoping filters use. */
    public static final List<String> USER_ATTRIBUTES = List.of("userPrincipalName", "mail", "mailNickname",
            "givenName", "surname", "displayName", "jobTitle", "department", "employeeId", "employeeType",
            "companyName", "officeLocation", "city", "state", "country", "usageLocation", "preferredLanguage",
            "mobilePhone", "businessPhones", "accountEnabled");

    private static final Logger LOG = Logger.getLogger(GraphDirectorySource.class);

    private final String jobId;
    private final GraphSource config;
    private final GraphClient graph;
    private final GraphMirrorRepository repository;
    private Read pending;

    private record Read(GraphMirror mirror, String usersDeltaLink, String groupsDeltaLink) {
    }

    GraphDirectorySource(String jobId, GraphSource config, GraphClient graph, GraphMirrorRepository repository) {
        this.jobId = jobId;
        this.config = config;
        this.graph = graph;
        this.repository = repository;
    }

    @Override
    public Directory read() {
        GraphMirrorRepository.Stored stored = repository.load(jobId);
        GraphMirror mirror = stored.mirror();
        Instant now = Instant.now();
        Map<String, Map<String, Object>> beforeResync = new HashMap<>();
        String usersLink = round("users", stored.usersDeltaLink(), usersUrl(), () -> {
            beforeResync.putAll(mirror.users());
            mirror.resetUsers();
        }, item -> mirror.applyUser(item, now));
        keepSoftDeleted(mirror, beforeResync);
        String groupsLink = round("groups", stored.groupsDeltaLink(), groupsUrl(), mirror::resetGroups,
                mirror::applyGroup);
        List<Directory.SourceAssignment> assignments = assignments();
        pending = new Read(mirror, usersLink, groupsLink);
        Directory directory = mirror.toDirectory(assignments);
        LOG.infof("job %s: read Microsoft Graph (tenant %s): %d users, %d groups, %d assignments; %d users and %d "
                + "groups changed", jobId, config.tenantId(), directory.users().size(), directory.groups().size(),
                directory.assignments().size(), mirror.changedUsers().size() + mirror.removedUsers().size(),
                mirror.changedGroups().size() + mirror.removedGroups().size());
        return directory;
    }

    @Override
    public void commit() {
        if (pending == null) {
            return;
        }
        repository.save(jobId, pending.mirror(), pending.usersDeltaLink(), pending.groupsDeltaLink());
        pending = null;
    }

    /**
     * One round of a delta query: from the stored deltaLink, or from scratch (the mirror of that resource forgotten)
     * when there is none or Graph no longer knows it.
     *
     * @return the new deltaLink
     */
    private String round(String resource, String deltaLink, String initialUrl, Runnable reset,
            Consumer<JsonNode> apply) {
        if (deltaLink != null) {
            try {
                return follow(resource, deltaLink, apply);
            } catch (ResyncRequiredException e) {
                LOG.warnf("job %s: Graph no longer knows the %s delta token (%s): full synchronization of %s", jobId,
                        resource, e.getMessage(), resource);
            }
        }
        reset.run();
        try {
            return follow(resource, initialUrl, apply);
        } catch (ResyncRequiredException e) {
            throw new SourceException("job " + jobId + ": " + e.getMessage() + " on a fresh delta query");
        }
    }

    /**
     * A fresh delta query lists only existing users: one known before a resynchronization and missing from it is
     * either in the recycle bin (soft-deleted: kept, so that it is disabled and not deleted in Druva) or gone for good.
     * Graph's {@code directory/deletedItems} tells which.
     */
    private void keepSoftDeleted(GraphMirror mirror, Map<String, Map<String, Object>> before) {
        int kept = 0;
        int missing = 0;
        for (Map.Entry<String, Map<String, Object>> known : before.entrySet()) {
            if (mirror.users().containsKey(known.getKey())) {
                continue;
            }
            missing++;
            Optional<JsonNode> deleted = graph.find(base() + "/directory/deletedItems/" + known.getKey());
            if (deleted.isPresent()) {
                mirror.keepSoftDeleted(known.getKey(), known.getValue(),
                        deleted.get().path("deletedDateTime").asText(Instant.now().toString()));
                kept++;
            }
        }
        if (missing > 0) {
            LOG.infof("job %s: full synchronization of users: %d of the %d known users no longer listed are in the "
                    + "recycle bin", jobId, kept, missing);
        }
    }

    private String follow(String resource, String url, Consumer<JsonNode> apply) {
        JsonNode last = graph.readAll(url, page -> page.path("value").forEach(apply));
        JsonNode deltaLink = last.get("@odata.deltaLink");
        if (deltaLink == null || deltaLink.isNull()) {
            throw new SourceException("job " + jobId + ": Microsoft Graph's " + resource
                    + " delta query for tenant " + config.tenantId() + " ended without an @odata.deltaLink");
        }
        return deltaLink.asText();
    }

    private List<Directory.SourceAssignment> assignments() {
        List<Directory.SourceAssignment> assignments = new ArrayList<>();
        graph.readAll(base() + "/servicePrincipals/" + config.servicePrincipalId() + "/appRoleAssignedTo",
                page -> page.path("value").forEach(a -> {
                    String type = a.path("principalType").asText();
                    String principal = a.path("principalId").asText(null);
                    if (principal == null || !(type.equals("User") || type.equals("Group"))) {
                        // service principals can be assigned too; they are not provisioned
                        return;
                    }
                    assignments.add(new Directory.SourceAssignment(principal, Directory.PrincipalType.valueOf(type),
                            a.path("appRoleId").asText()));
                }));
        return assignments;
    }

    private String usersUrl() {
        return base() + "/users/delta?$select=" + String.join(",", USER_ATTRIBUTES);
    }

    private String groupsUrl() {
        return base() + "/groups/delta?$select=displayName,members";
    }

    private String base() {
        String url = config.graphUrl();
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
