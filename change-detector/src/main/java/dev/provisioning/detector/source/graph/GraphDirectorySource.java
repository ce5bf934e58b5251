package dev.provisioning.detector.source.graph;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import dev.provisioning.detector.source.Directory;
import dev.provisioning.detector.source.DirectorySource;
import dev.provisioning.detector.source.SourceException;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.StorableText;
import dev.provisioning.events.job.GraphSource;
import dev.provisioning.telemetry.Plural;

/**
 * Reads Entra through Microsoft Graph, for one cycle of one job.
 *
 * <p>
 * {@link #load()} loads the job's mirror, brings it up to date with the users and groups delta queries (from the stored
 * deltaLinks, or from scratch the first time and whenever Graph has forgotten a delta token), reads the app's roles and
 * its role assignments in full (Graph has no delta for them: the planner diffs them against the snapshot), and returns
 * the whole directory. Nothing is written, and no thread waits (requests and backoff are non-blocking). {@link
 * #commit()}, called once the cycle's events are on Kafka, writes the changed mirror objects and the new deltaLinks in
 * one transaction: a crash before it replays the same delta next time.
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
    private volatile Read pending;

    private record Read(GraphMirror mirror, String usersDeltaLink, String groupsDeltaLink) {
    }

    GraphDirectorySource(String jobId, GraphSource config, GraphClient graph, GraphMirrorRepository repository) {
        this.jobId = jobId;
        this.config = config;
        this.graph = graph;
        this.repository = repository;
    }

    @Override
    public Uni<Directory> load() {
        Instant now = Instant.now();
        Map<String, Map<String, Object>> beforeResync = new HashMap<>();
        return repository.load(jobId).chain(stored -> {
            GraphMirror mirror = stored.mirror();
            return round("users", stored.usersDeltaLink(), usersUrl(), () -> {
                beforeResync.putAll(mirror.users());
                mirror.resetUsers();
            }, item -> mirror.applyUser(item, now))
                    .chain(usersLink -> settleMissing(mirror, beforeResync)
                            .chain(problems -> round("groups", stored.groupsDeltaLink(), groupsUrl(),
                                    mirror::resetGroups, mirror::applyGroup)
                                    .chain(groupsLink -> appRoles().chain(roles -> assignments().map(assignments -> {
                                        pending = new Read(mirror, usersLink, groupsLink);
                                        List<Directory.Problem> replaced = mirror.problems();
                                        List<Directory.Problem> all = new ArrayList<>(problems);
                                        all.addAll(replaced);
                                        Directory directory = mirror.toDirectory(assignments, roles, all);
                                        LOG.infof("job %s: read Microsoft Graph (tenant %s): %s, %s, %s, %s; %s and %s "
                                                + "changed%s%s",
                                                jobId, config.tenantId(), Plural.of(directory.users().size(), "user"),
                                                Plural.of(directory.groups().size(), "group"),
                                                Plural.of(directory.assignments().size(), "assignment"),
                                                Plural.of(roles.size(), "app role"),
                                                Plural.of(mirror.changedUsers().size() + mirror.removedUsers().size(),
                                                        "user"),
                                                Plural.of(mirror.changedGroups().size()
                                                        + mirror.removedGroups().size(), "group"),
                                                problems.isEmpty()
                                                        ? ""
                                                        : "; " + Plural.of(problems.size(), "user") + " could not be "
                                                                + "settled",
                                                replaced.isEmpty()
                                                        ? ""
                                                        : "; " + replaced.size()
                                                                + " values with a NUL character replaced");
                                        return directory;
                                    })))));
        });
    }

    @Override
    public Uni<Void> commit() {
        if (pending == null) {
            return Uni.createFrom().voidItem();
        }
        Read read = pending;
        return repository.save(jobId, read.mirror(), read.usersDeltaLink(), read.groupsDeltaLink())
                .invoke(() -> pending = null);
    }

    /**
     * One round of a delta query: from the stored deltaLink, or from scratch (the mirror of that resource forgotten)
     * when there is none or Graph no longer knows it.
     *
     * @return the new deltaLink
     */
    private Uni<String> round(String resource, String deltaLink, String initialUrl, Runnable reset,
            Consumer<JsonNode> apply) {
        Uni<Optional<String>> incremental = deltaLink == null
                ? Uni.createFrom().item(Optional.empty())
                : follow(resource, deltaLink, apply).map(Optional::of)
                        .onFailure(ResyncRequiredException.class).recoverWithItem(e -> {
                            LOG.warnf("job %s: Graph no longer knows the %s delta token (%s): full synchronization "
                                    + "of %s", jobId, resource, e.getMessage(), resource);
                            return Optional.empty();
                        });
        return incremental.chain(link -> {
            if (link.isPresent()) {
                return Uni.createFrom().item(link.get());
            }
            reset.run();
            return follow(resource, initialUrl, apply).onFailure(ResyncRequiredException.class)
                    .transform(e -> new SourceException("job " + jobId + ": " + e.getMessage()
                            + " on a fresh delta query"));
        });
    }

    /**
     * A fresh delta query lists only existing users: one known before a resynchronization and missing from it is
     * either in the recycle bin (soft-deleted: kept, so that it is disabled and not deleted in Druva) or gone for good.
     * Graph's {@code directory/deletedItems} tells which. Users whose earlier lookup failed, and that no delta has
     * mentioned since, are looked up again. A lookup that fails (after its retries) fails that one user, not the read:
     * the user stays as it was known (nothing happens to it in Druva), the cycle logs a failure for it, and the next
     * read looks it up again.
     *
     * @return the users that could not be settled
     */
    private Uni<List<Directory.Problem>> settleMissing(GraphMirror mirror, Map<String, Map<String, Object>> before) {
        Map<String, Map<String, Object>> unknown = new LinkedHashMap<>();
        before.forEach((id, attributes) -> {
            if (!mirror.users().containsKey(id)) {
                unknown.put(id, attributes);
            }
        });
        for (String id : mirror.lookupsPending()) {
            unknown.putIfAbsent(id, mirror.users().get(id));
        }
        if (unknown.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        int[] kept = new int[1];
        return Multi.createFrom().iterable(unknown.entrySet())
                .onItem().transformToUniAndConcatenate(known -> graph
                        .find(base() + "/directory/deletedItems/" + known.getKey())
                        .map(deleted -> {
                            if (deleted.isPresent()) {
                                mirror.keepSoftDeleted(known.getKey(), known.getValue(), deleted.get()
                                        .path("deletedDateTime").asText(Instant.now().toString()));
                                kept[0]++;
                            } else {
                                mirror.forgetUser(known.getKey());
                            }
                            return Optional.<Directory.Problem>empty();
                        })
                        .onFailure().recoverWithItem(e -> {
                            mirror.lookupFailed(known.getKey(), known.getValue());
                            return Optional.of(new Directory.Problem(Directory.Problem.Kind.LookupFailed,
                                    known.getKey(), ObjectType.USER, "user " + known.getKey() + " is no longer "
                                            + "listed by Microsoft Graph and whether it was deleted could not be "
                                            + "told (" + e.getMessage() + "): it is left as it was and looked up "
                                            + "again in the next cycle"));
                        }))
                .collect().asList()
                .map(outcomes -> {
                    List<Directory.Problem> problems = outcomes.stream().flatMap(Optional::stream).toList();
                    LOG.infof("job %s: %s no longer listed by a full synchronization or still to be looked up: "
                            + "%d in the recycle bin, %d could not be looked up", jobId,
                            Plural.of(unknown.size(), "user"), kept[0],
                            problems.size());
                    return problems;
                });
    }

    private Uni<String> follow(String resource, String url, Consumer<JsonNode> apply) {
        return graph.readAll(url, page -> page.path("value").forEach(apply)).map(last -> {
            JsonNode deltaLink = last.get("@odata.deltaLink");
            if (deltaLink == null || deltaLink.isNull()) {
                throw new SourceException("job " + jobId + ": Microsoft Graph's " + resource
                        + " delta query for tenant " + config.tenantId() + " ended without an @odata.deltaLink");
            }
            return deltaLink.asText();
        });
    }

    /**
     * The app's roles (Graph {@code servicePrincipal.appRoles}): the assignments carry each role's value and display
     * name, which expressions over {@code [appRoleAssignments]} use (customize-application-attributes.md).
     */
    private Uni<Map<String, Directory.AppRole>> appRoles() {
        return graph.get(base() + "/servicePrincipals/" + config.servicePrincipalId() + "?$select=appRoles")
                .map(body -> {
                    Map<String, Directory.AppRole> roles = new LinkedHashMap<>();
                    body.path("appRoles").forEach(role -> {
                        String id = role.path("id").asText(null);
                        if (id != null) {
                            roles.put(id, new Directory.AppRole(id, text(role, "value"), text(role, "displayName")));
                        }
                    });
                    return roles;
                });
    }

    /** An app role's text as PostgreSQL can store it ({@link StorableText}: the events carry it to the writer). */
    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : StorableText.of(value.asText());
    }

    private Uni<List<Directory.SourceAssignment>> assignments() {
        List<Directory.SourceAssignment> assignments = new ArrayList<>();
        return graph.readAll(base() + "/servicePrincipals/" + config.servicePrincipalId() + "/appRoleAssignedTo",
                page -> page.path("value").forEach(a -> {
                    String type = a.path("principalType").asText();
                    String principal = a.path("principalId").asText(null);
                    if (principal == null || !(type.equals("User") || type.equals("Group"))) {
                        // service principals can be assigned too; they are not provisioned
                        return;
                    }
                    assignments.add(new Directory.SourceAssignment(principal, Directory.PrincipalType.valueOf(type),
                            a.path("appRoleId").asText()));
                })).replaceWith(assignments);
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
