package dev.provisioning.writer.provisioning;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.smallrye.mutiny.Uni;

import dev.provisioning.events.ErrorCodes;
import dev.provisioning.events.Json;
import dev.provisioning.events.MatchingAttribute;
import dev.provisioning.events.ModifiedProperty;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.ScimOperation;
import dev.provisioning.events.TargetNotManaged;
import dev.provisioning.writer.persistence.WriterStore;
import dev.provisioning.writer.persistence.WriterStore.Link;
import dev.provisioning.writer.retry.FailureKind;
import dev.provisioning.writer.scim.AttributeChange;
import dev.provisioning.writer.scim.AttributeDiff;
import dev.provisioning.writer.scim.ScimPaths;
import dev.provisioning.writer.scim.UserRequests;
import dev.provisioning.writer.scim.UserState;
import dev.provisioning.writer.scim.client.ScimAnswer;
import dev.provisioning.writer.scim.client.ScimCall;
import dev.provisioning.writer.scim.client.ScimClient;
import dev.provisioning.writer.scim.client.TenantTarget;

/**
 * Carries out one user operation against Druva the way Entra does: match (in precedence order), create, update only
 * what changed, disable, delete. The id map is written as soon as a Druva id is known (right after a create or a
 * match), so a crash before the result is emitted is recovered on redelivery by the id map or, failing that, by the
 * match: a redelivered operation never creates a second user.
 *
 * <p>
 * The id map also tells a redelivered operation what it did before a crash ({@link WriterStore.Mark}): when its create
 * was sent and the answer lost, that the user matched now is the one it created, so the result says what really
 * happened (a Create, not "no change"). A completed operation's outcome is its result, recorded in one statement with
 * its last id-map change ({@link OperationProcessor}) and found there first; rows written before the fourteenth round
 * also hold a copy of the outcome, still read ({@link #recovered}).
 */
@ApplicationScoped
public class UserProvisioner {

    private static final Logger LOG = Logger.getLogger(UserProvisioner.class);
    private static final String USER = ObjectType.USER.name();
    /**
     * The reason of an update with nothing to change: reported as action Other, status Skipped, code
     * {@code RedundantExport}, as Entra reports an object whose source and target already match.
     */
    static final String NO_CHANGE = "no change: Druva already holds the desired attributes";

    private final ScimClient client;
    private final WriterStore store;
    private final BulkMatch bulk;

    public UserProvisioner(ScimClient client, WriterStore store, BulkMatch bulk) {
        this.client = client;
        this.store = store;
        this.bulk = bulk;
    }

    /**
     * UPSERT: update the managed user, or match and link, or create.
     *
     * @param bulkMatch whether a new user may be matched against the initial cycle's snapshot (not for a scheduled
     *        retry, which would page the whole tenant for one user)
     * @param found the user's id-map entry ({@link WriterStore#lookup}, read just before)
     */
    public Uni<Outcome> upsert(ScimOperation op, TenantTarget target, boolean bulkMatch,
            Optional<WriterStore.Entry> found) {
        Map<String, Object> desired = UserState.withDerived(UserState.normalize(op.attributes()));
        return Uni.createFrom().deferred(() -> {
            Optional<String> done = found.flatMap(e -> e.completedBy(op.operationId()));
            if (done.isPresent()) {
                return Uni.createFrom().item(recovered(op, done.get()));
            }
            boolean ourCreate = found.map(e -> e.createSentBy(op.operationId())).orElse(false);
            Optional<Link> link = found.flatMap(WriterStore.Entry::live);
            if (link.isPresent() && link.get().readable()) {
                return update(op, target, link.get(), desired, true, false);
            }
            if (link.isPresent()) {
                LOG.warnf("job %s, object %s: the stored state of Druva user %s cannot be read; matching it again",
                        target.jobId(), op.objectId(), link.get().targetId());
            }
            return matchOrCreate(op, target, desired, true, bulkMatch, ourCreate);
        });
    }

    /**
     * The outcome an operation stored in its id-map row when it completed, before a restart lost its result: rows
     * written before the fourteenth round (since then the row keeps no copy, {@link #done}).
     */
    static Outcome recovered(ScimOperation op, String outcomeJson) {
        Outcome outcome = Json.read(outcomeJson, Outcome.class);
        LOG.infof("operation %s for job %s, object %s was carried out before a restart: %s %s", op.operationId(),
                op.jobId(), op.objectId(), outcome.action(), outcome.status());
        return outcome;
    }

    /**
     * The id-map mark of an operation that completed: its id, without a copy of its outcome. The outcome is the
     * operation's result, recorded in {@code processed_operation} in the same statement as this change
     * ({@link OperationProcessor}), where a redelivery finds it before it reads the id map; a copy in the id map (one
     * more JSON per object, written and stored; until the fourteenth round) is only read back from rows written
     * before ({@link #recovered}).
     */
    static WriterStore.Mark done(ScimOperation op) {
        return new WriterStore.Mark(op.operationId(), null);
    }

    /**
     * The outcome, ending with its id-map change: written with the operation's processed row, in one statement
     * ({@link OperationProcessor}), not here.
     */
    static Uni<Outcome> ending(Outcome outcome, WriterStore.IdMapChange change) {
        return Uni.createFrom().item(outcome.endingWith(change));
    }

    /**
     * DISABLE: set active false on a managed user; an unmanaged one is skipped ({@link TargetNotManaged}).
     *
     * @param entry the user's id-map entry ({@link WriterStore#lookup}, read just before)
     */
    public Uni<Outcome> disable(ScimOperation op, TenantTarget target, Optional<WriterStore.Entry> entry) {
        return Uni.createFrom().deferred(() -> {
            Optional<String> done = entry.flatMap(e -> e.completedBy(op.operationId()));
            if (done.isPresent()) {
                return Uni.createFrom().item(recovered(op, done.get()));
            }
            Optional<Link> found = entry.flatMap(WriterStore.Entry::live);
            if (found.isEmpty()) {
                return Uni.createFrom().item(notManaged(op));
            }
            Link link = found.get();
            if (!target.actions().update()) {
                return Uni.createFrom().item(actionDisabled(ProvisioningAction.Disable, link.targetId(), "update"));
            }
            // an unreadable state does not know whether the user is active: send the disable. One already inactive
            // needs no change: logged as any object needing none is (Other / Skipped / RedundantExport), as Entra
            // logs it (Microsoft Graph's synchronizationJob provisionOnDemand example), not as a Disable
            if (link.readable() && Boolean.FALSE.equals(link.state().get(ScimPaths.ACTIVE))) {
                return Uni.createFrom().item(Outcome.skipped(ProvisioningAction.Other, link.targetId(),
                        ErrorCodes.REDUNDANT_EXPORT, "no change: the Druva user is already inactive"));
            }
            List<AttributeChange> changes = List.of(new AttributeChange(ScimPaths.ACTIVE,
                    link.state().getOrDefault(ScimPaths.ACTIVE, true), false));
            return patch(op, target, link, changes).flatMap(answer -> {
                if (answer.ok()) {
                    Outcome outcome = Outcome.success(ProvisioningAction.Disable, link.targetId(), answer,
                            modified(changes));
                    return ending(outcome, WriterStore.linking(target.jobId(), USER, op.objectId(),
                            applied(link, changes), op.cycleId(), done(op)));
                }
                if (answer.kind() == FailureKind.NOT_FOUND) {
                    LOG.warnf("Druva user %s of job %s, object %s no longer exists: link dropped", link.targetId(),
                            target.jobId(), op.objectId());
                    Outcome outcome = Outcome.skipped(ProvisioningAction.Disable, link.targetId(),
                            ErrorCodes.INVALID_ANCHOR, "the Druva user no longer exists; nothing to disable");
                    return ending(outcome,
                            WriterStore.removing(target.jobId(), USER, op.objectId(), done(op)));
                }
                return Uni.createFrom().item(failed(ProvisioningAction.Disable, link.targetId(), op, answer));
            });
        });
    }

    /**
     * DELETE: delete a managed user (a 404 means it is already gone); an unmanaged one is skipped ({@link TargetNotManaged}).
     *
     * @param entry the user's id-map entry ({@link WriterStore#lookup}, read just before)
     */
    public Uni<Outcome> delete(ScimOperation op, TenantTarget target, Optional<WriterStore.Entry> entry) {
        return Uni.createFrom().deferred(() -> {
            Optional<String> done = entry.flatMap(e -> e.completedBy(op.operationId()));
            if (done.isPresent()) {
                return Uni.createFrom().item(recovered(op, done.get()));
            }
            Optional<Link> found = entry.flatMap(WriterStore.Entry::live);
            if (found.isEmpty()) {
                return Uni.createFrom().item(notManaged(op));
            }
            String id = found.get().targetId();
            if (!target.actions().delete()) {
                return Uni.createFrom().item(actionDisabled(ProvisioningAction.Delete, id, "delete"));
            }
            ScimCall call = new ScimCall(op.objectId(), "DELETE", "/Users/{id}", ScimPaths.user(id), null);
            return client.send(target, call).flatMap(answer -> {
                if (answer.ok() || answer.kind() == FailureKind.NOT_FOUND) {
                    Outcome outcome = Outcome.success(ProvisioningAction.Delete, id, answer, List.of());
                    return ending(outcome,
                            WriterStore.removing(target.jobId(), USER, op.objectId(), done(op)));
                }
                return Uni.createFrom().item(failed(ProvisioningAction.Delete, id, op, answer));
            });
        });
    }

    /**
     * @param ourCreate whether the user was created by this operation before a restart (its result is then a Create)
     */
    private Uni<Outcome> update(ScimOperation op, TenantTarget target, Link link, Map<String, Object> desired,
            boolean mayRecover, boolean ourCreate) {
        if (!target.actions().update() && !ourCreate) {
            return Uni.createFrom().item(actionDisabled(ProvisioningAction.Update, link.targetId(), "update"));
        }
        List<AttributeChange> changes = AttributeDiff.diff(desired, link.state(), ScimPaths.DRUVA_UPDATABLE);
        if (changes.isEmpty() || !target.actions().update()) {
            if (ourCreate) {
                Outcome created = createdBefore(op, link, desired);
                return ending(created, WriterStore.marking(target.jobId(), USER, op.objectId(), done(op)));
            }
            return Uni.createFrom()
                    .item(Outcome.skipped(ProvisioningAction.Other, link.targetId(), ErrorCodes.REDUNDANT_EXPORT,
                            NO_CHANGE));
        }
        return patch(op, target, link, changes).flatMap(answer -> {
            if (answer.ok()) {
                Outcome outcome = ourCreate
                        ? createdBefore(op, link, desired)
                        : Outcome.success(ProvisioningAction.Update, link.targetId(), answer, modified(changes));
                return ending(outcome, WriterStore.linking(target.jobId(), USER, op.objectId(), applied(link, changes),
                        op.cycleId(), done(op)));
            }
            if (answer.kind() == FailureKind.NOT_FOUND && mayRecover) {
                LOG.warnf("InvalidAnchor: Druva user %s of job %s, object %s no longer exists; matching again",
                        link.targetId(), target.jobId(), op.objectId());
                return store.removeLink(target.jobId(), USER, op.objectId(), new WriterStore.Mark(op.operationId(),
                        null)).chain(() -> matchOrCreate(op, target, desired, false, false, false));
            }
            return Uni.createFrom().item(failed(ProvisioningAction.Update, link.targetId(), op, answer));
        });
    }

    /**
     * The outcome of a create this operation sent before a restart, whose answer was lost: the user it matched now is
     * the one it created.
     */
    private static Outcome createdBefore(ScimOperation op, Link link, Map<String, Object> desired) {
        LOG.infof("job %s, object %s: Druva user %s was created by this operation (%s) before a restart", op.jobId(),
                op.objectId(), link.targetId(), op.operationId());
        List<ModifiedProperty> modified = new ArrayList<>();
        desired.forEach((path, value) -> modified.add(new ModifiedProperty(path, null, String.valueOf(value))));
        return new Outcome(ProvisioningAction.Create, ProvisioningStatus.Success, link.targetId(), null, null, null, 1,
                modified);
    }

    private Uni<ScimAnswer> patch(ScimOperation op, TenantTarget target, Link link, List<AttributeChange> changes) {
        ScimCall call = new ScimCall(op.objectId(), "PATCH", "/Users/{id}", ScimPaths.user(link.targetId()),
                UserRequests.patchBody(changes, target.dialect()));
        return client.send(target, call);
    }

    private Uni<Outcome> matchOrCreate(ScimOperation op, TenantTarget target, Map<String, Object> desired,
            boolean mayRecover, boolean bulkMatch, boolean ourCreate) {
        List<MatchingAttribute> matching = matchingOf(op, desired);
        Uni<BulkMatch.Lookup> lookup = mayRecover && bulkMatch
                ? bulk.snapshot(target, op.cycleId())
                : Uni.createFrom().item(BulkMatch.Lookup.NONE);
        return lookup.flatMap(bulkLookup -> {
            if (bulkLookup.unauthorized() != null) {
                return Uni.createFrom().item(failed(ProvisioningAction.Other, null, op, bulkLookup.unauthorized()));
            }
            Optional<TargetSnapshot> found = Optional.ofNullable(bulkLookup.snapshot());
            Uni<Match> matched = found.isPresent()
                    ? matchInSnapshot(op, target, matching, found.get())
                    : match(op, target, matching, 0);
            return matched.flatMap(match -> {
                if (match.failure() != null) {
                    return Uni.createFrom().item(match.failure());
                }
                if (match.resource() != null) {
                    return linkAndUpdate(op, target, desired, match.resource(), mayRecover, ourCreate);
                }
                return create(op, target, desired, mayRecover, found.orElse(null), ourCreate);
            });
        });
    }

    /** Matches against the initial cycle's snapshot; an attribute it does not index is matched with GETs. */
    private Uni<Match> matchInSnapshot(ScimOperation op, TenantTarget target, List<MatchingAttribute> matching,
            TargetSnapshot snapshot) {
        for (int i = 0; i < matching.size(); i++) {
            MatchingAttribute attribute = matching.get(i);
            List<JsonNode> hits = snapshot.find(attribute.targetAttribute(), attribute.value());
            if (hits == null) {
                return match(op, target, matching, i);
            }
            if (hits.size() > 1) {
                return Uni.createFrom().item(new Match(null, Outcome.failure(ProvisioningAction.Other, null,
                        ErrorCodes.DUPLICATE_TARGET_ENTRIES, hits.size() + " Druva users match "
                                + UserRequests.filter(attribute.targetAttribute(), attribute.value()),
                        null)));
            }
            if (hits.size() == 1) {
                return Uni.createFrom().item(new Match(hits.get(0), null));
            }
        }
        return Uni.createFrom().item(new Match(null, null));
    }

    private Uni<Outcome> create(ScimOperation op, TenantTarget target, Map<String, Object> desired,
            boolean mayRecover, TargetSnapshot snapshot, boolean ourCreate) {
        if (!target.actions().create()) {
            return Uni.createFrom().item(actionDisabled(ProvisioningAction.Create, null, "create"));
        }
        Map<String, Object> sent = new LinkedHashMap<>(UserState.normalize(op.createOnlyAttributes()));
        sent.putAll(desired);
        ScimCall call = new ScimCall(op.objectId(), "POST", "/Users", ScimPaths.USERS, UserRequests.createBody(sent));
        // marked before it is sent: if the answer is lost in a crash, the user matched next time is known as ours
        return store.markCreateSent(target.jobId(), USER, op.objectId(), op.cycleId(), op.operationId())
                .chain(() -> client.send(target, call)).flatMap(answer -> {
                    if (answer.ok()) {
                        JsonNode resource = answer.json();
                        String id = resource == null ? null : resource.path("id").asText(null);
                        if (id == null) {
                            return Uni.createFrom().item(Outcome.failure(ProvisioningAction.Create, null,
                                    ErrorCodes.TARGET_ERROR, "POST /Users answered " + answer.status()
                                            + " without an id",
                                    answer));
                        }
                        if (snapshot != null) {
                            snapshot.created(resource);
                        }
                        Map<String, Object> state = new LinkedHashMap<>(sent);
                        state.putAll(UserState.fromResource(resource));
                        List<ModifiedProperty> modified = new ArrayList<>();
                        sent.forEach((path, value) -> modified.add(new ModifiedProperty(path, null,
                                String.valueOf(value))));
                        Outcome outcome = Outcome.success(ProvisioningAction.Create, id, answer, modified);
                        return ending(outcome, WriterStore.linking(target.jobId(), USER, op.objectId(),
                                new Link(id, state), op.cycleId(), done(op)));
                    }
                    if (answer.kind() == FailureKind.CONFLICT && mayRecover) {
                        // created meanwhile (by a crashed earlier attempt or someone else): match once more and link
                        LOG.infof("POST /Users for job %s, object %s answered 409: matching again", target.jobId(),
                                op.objectId());
                        return match(op, target, rematchingOf(op, desired), 0).flatMap(match -> {
                            if (match.resource() != null) {
                                return linkAndUpdate(op, target, desired, match.resource(), false, ourCreate);
                            }
                            if (match.failure() != null) {
                                return Uni.createFrom().item(match.failure());
                            }
                            return Uni.createFrom().item(Outcome.failure(ProvisioningAction.Create, null,
                                    ErrorCodes.ENTRY_CONFLICT, "Druva reports a conflicting user ("
                                            + answer.problem() + ") that no matching attribute finds",
                                    answer));
                        });
                    }
                    Outcome failure = failed(ProvisioningAction.Create, null, op, answer);
                    // a create that may have reached Druva (no answer, 5xx, 429) stays marked for its retry
                    return answer.kind().retryable()
                            ? Uni.createFrom().item(failure)
                            : store.forgetCreate(target.jobId(), USER, op.objectId(), op.operationId())
                                    .replaceWith(failure);
                });
    }

    private Uni<Outcome> linkAndUpdate(ScimOperation op, TenantTarget target, Map<String, Object> desired,
            JsonNode resource, boolean mayRecover, boolean ourCreate) {
        String id = resource.path("id").asText(null);
        if (id == null) {
            return Uni.createFrom().item(Outcome.failure(ProvisioningAction.Other, null, ErrorCodes.TARGET_ERROR,
                    "the matched Druva user has no id", null));
        }
        Link link = new Link(id, UserState.fromResource(resource));
        LOG.debugf("job %s, object %s matched Druva user %s", target.jobId(), op.objectId(), id);
        return store.saveLink(target.jobId(), USER, op.objectId(), link, op.cycleId(),
                new WriterStore.Mark(op.operationId(), null))
                .chain(() -> update(op, target, link, desired, mayRecover, ourCreate));
    }

    /** The result of a match: a resource, nothing (both null), or a failure. */
    private record Match(JsonNode resource, Outcome failure) {
    }

    private Uni<Match> match(ScimOperation op, TenantTarget target, List<MatchingAttribute> matching, int index) {
        if (index >= matching.size()) {
            return Uni.createFrom().item(new Match(null, null));
        }
        MatchingAttribute attribute = matching.get(index);
        ScimCall call = new ScimCall(op.objectId(), "GET", "/Users?filter=" + attribute.targetAttribute() + " eq",
                UserRequests.matchUri(attribute.targetAttribute(), attribute.value()), null);
        return client.send(target, call).flatMap(answer -> {
            if (!answer.ok()) {
                return Uni.createFrom().item(new Match(null, failed(ProvisioningAction.Other, null, op, answer)));
            }
            JsonNode list = answer.json();
            JsonNode resources = list == null ? null : list.path("Resources");
            int count = resources == null || !resources.isArray() ? 0 : resources.size();
            if (count == 0) {
                return match(op, target, matching, index + 1);
            }
            if (count > 1) {
                return Uni.createFrom().item(new Match(null, Outcome.failure(ProvisioningAction.Other, null,
                        ErrorCodes.DUPLICATE_TARGET_ENTRIES,
                        count + " Druva users match " + UserRequests.filter(attribute.targetAttribute(),
                                attribute.value()),
                        answer)));
            }
            return Uni.createFrom().item(new Match(resources.get(0), null));
        });
    }

    /** The operation's matching attributes by precedence; userName when it names none. */
    private static List<MatchingAttribute> matchingOf(ScimOperation op, Map<String, Object> desired) {
        List<MatchingAttribute> matching = op.matching().stream()
                .filter(m -> m.targetAttribute() != null && m.value() != null && !m.value().isBlank())
                .sorted(Comparator.comparingInt(MatchingAttribute::precedence))
                .toList();
        if (matching.isEmpty() && desired.get(ScimPaths.USER_NAME) != null) {
            return List.of(new MatchingAttribute(ScimPaths.USER_NAME, String.valueOf(desired.get(ScimPaths.USER_NAME)),
                    1));
        }
        return matching;
    }

    /**
     * After a 409 on create: the operation's matching attributes, then userName (what Druva's uniqueness is about) if
     * they did not include it.
     */
    private static List<MatchingAttribute> rematchingOf(ScimOperation op, Map<String, Object> desired) {
        List<MatchingAttribute> matching = new ArrayList<>(matchingOf(op, desired));
        Object userName = desired.get(ScimPaths.USER_NAME);
        boolean hasUserName = matching.stream().anyMatch(m -> m.targetAttribute().equals(ScimPaths.USER_NAME));
        if (!hasUserName && userName != null) {
            matching.add(new MatchingAttribute(ScimPaths.USER_NAME, String.valueOf(userName), Integer.MAX_VALUE));
        }
        return matching;
    }

    private static Link applied(Link link, List<AttributeChange> changes) {
        Map<String, Object> state = new LinkedHashMap<>(link.state());
        changes.forEach(c -> state.put(c.path(), c.newValue()));
        return new Link(link.targetId(), state);
    }

    private static List<ModifiedProperty> modified(List<AttributeChange> changes) {
        return changes.stream()
                .map(c -> new ModifiedProperty(c.path(), c.oldValue() == null ? null : String.valueOf(c.oldValue()),
                        String.valueOf(c.newValue())))
                .toList();
    }

    /** A disable or delete of a user or group the job does not manage in Druva: Skipped, as {@link TargetNotManaged} says. */
    static Outcome notManaged(ScimOperation op) {
        TargetNotManaged logged = TargetNotManaged.of(op);
        return Outcome.skipped(logged.action(), null, logged.code(), logged.reason());
    }

    private static Outcome actionDisabled(ProvisioningAction action, String targetId, String what) {
        return Outcome.skipped(action, targetId, ErrorCodes.ACTION_DISABLED,
                "the job's target object actions do not allow " + what);
    }

    private static Outcome failed(ProvisioningAction action, String targetId, ScimOperation op, ScimAnswer answer) {
        String code = answer.kind() == FailureKind.NOT_FOUND || answer.kind() == FailureKind.NONE
                ? ErrorCodes.TARGET_ERROR
                : answer.kind().errorCode();
        String reason = answer.problem() + (answer.attempts() > 1 ? " after " + answer.attempts() + " attempts" : "");
        LOG.warnf("%s failed for job %s, object %s: %s (%s)", action, op.jobId(), op.objectId(), reason, code);
        return Outcome.failure(action, targetId, code, reason, answer);
    }
}
