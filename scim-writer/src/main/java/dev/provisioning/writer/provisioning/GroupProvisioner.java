package dev.provisioning.writer.provisioning;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
import dev.provisioning.telemetry.Plural;
import dev.provisioning.writer.config.WriterConfig;
import dev.provisioning.writer.persistence.WriterStore;
import dev.provisioning.writer.persistence.WriterStore.Link;
import dev.provisioning.writer.retry.FailureKind;
import dev.provisioning.writer.scim.GroupRequests;
import dev.provisioning.writer.scim.client.ScimAnswer;
import dev.provisioning.writer.scim.client.ScimCall;
import dev.provisioning.writer.scim.client.ScimClient;
import dev.provisioning.writer.scim.client.TenantTarget;

/**
 * Carries out one group operation as Entra does: match by displayName (or the operation's matching attributes),
 * create without members, rename with {@code Replace displayName}, then add and remove members with PATCH in chunks
 * of {@code writer.group-member-chunk-size}, and delete. Members are source user ids resolved through the id map;
 * users not provisioned yet are left out (logged) and added by a later operation for the group. The members Druva
 * is known to hold are kept in the id map after each chunk, so a crash repeats at most one chunk.
 */
@ApplicationScoped
public class GroupProvisioner {

    private static final Logger LOG = Logger.getLogger(GroupProvisioner.class);
    private static final String GROUP = ObjectType.GROUP.name();
    private static final String USER = ObjectType.USER.name();
    static final String MEMBERS = "members";
    static final String DISPLAY_NAME = "displayName";
    static final String EXTERNAL_ID = "externalId";
    /** In a group's stored state: the operation that created it (its result is a Create even after a restart). */
    static final String CREATED_BY = "createdBy";

    private final ScimClient client;
    private final WriterStore store;
    private final WriterConfig config;

    public GroupProvisioner(ScimClient client, WriterStore store, WriterConfig config) {
        this.client = client;
        this.store = store;
        this.config = config;
    }

    /** @param entry the group's id-map entry ({@link WriterStore#lookup}, read just before) */
    public Uni<Outcome> upsert(ScimOperation op, TenantTarget target, Optional<WriterStore.Entry> entry) {
        return Uni.createFrom().deferred(() -> {
            Optional<String> done = entry.flatMap(e -> e.completedBy(op.operationId()));
            if (done.isPresent()) {
                return Uni.createFrom().item(UserProvisioner.recovered(op, done.get()));
            }
            Optional<Link> found = entry.flatMap(WriterStore.Entry::live);
            if (found.isPresent() && found.get().readable()) {
                boolean created = op.operationId().equals(found.get().state().get(CREATED_BY));
                return sync(op, target, found.get(), created, null, true);
            }
            if (found.isPresent()) {
                LOG.warnf("job %s, object %s: the stored state of Druva group %s cannot be read; matching it again",
                        target.jobId(), op.objectId(), found.get().targetId());
            }
            return matchOrCreate(op, target, true, entry.map(e -> e.createSentBy(op.operationId())).orElse(false));
        });
    }

    /** @param entry the group's id-map entry ({@link WriterStore#lookup}, read just before) */
    public Uni<Outcome> delete(ScimOperation op, TenantTarget target, Optional<WriterStore.Entry> entry) {
        return Uni.createFrom().deferred(() -> {
            Optional<String> done = entry.flatMap(e -> e.completedBy(op.operationId()));
            if (done.isPresent()) {
                return Uni.createFrom().item(UserProvisioner.recovered(op, done.get()));
            }
            Optional<Link> found = entry.flatMap(WriterStore.Entry::live);
            if (found.isEmpty()) {
                return Uni.createFrom().item(UserProvisioner.notManaged(op));
            }
            String id = found.get().targetId();
            if (!target.actions().delete()) {
                return Uni.createFrom().item(Outcome.skipped(ProvisioningAction.Delete, id, ErrorCodes.ACTION_DISABLED,
                        "the job's target object actions do not allow delete"));
            }
            ScimCall call = new ScimCall(op.objectId(), "DELETE", "/Groups/{id}", GroupRequests.group(id), null);
            return client.send(target, call).flatMap(answer -> {
                if (answer.ok() || answer.kind() == FailureKind.NOT_FOUND) {
                    Outcome outcome = Outcome.success(ProvisioningAction.Delete, id, answer, List.of());
                    return UserProvisioner.ending(outcome, WriterStore.removing(target.jobId(), GROUP, op.objectId(),
                            UserProvisioner.done(op)));
                }
                return Uni.createFrom().item(failed(ProvisioningAction.Delete, id, op, answer));
            });
        });
    }

    /** @param ourCreate whether this operation sent the group's create before a restart (the group found is ours) */
    private Uni<Outcome> matchOrCreate(ScimOperation op, TenantTarget target, boolean mayRecover, boolean ourCreate) {
        String displayName = text(op.attributes().get(DISPLAY_NAME));
        if (displayName == null) {
            return Uni.createFrom().item(Outcome.failure(ProvisioningAction.Other, null,
                    ErrorCodes.MANDATORY_FIELDS_MISSING, "the group has no displayName", null));
        }
        MatchingAttribute matching = op.matching().stream()
                .filter(m -> m.targetAttribute() != null && m.value() != null)
                .min(java.util.Comparator.comparingInt(MatchingAttribute::precedence))
                .orElse(new MatchingAttribute(DISPLAY_NAME, displayName, 1));
        ScimCall get = new ScimCall(op.objectId(), "GET", "/Groups?filter=" + matching.targetAttribute() + " eq",
                GroupRequests.matchUri(matching.targetAttribute(), matching.value()), null);
        return client.send(target, get).flatMap(answer -> {
            if (!answer.ok()) {
                return Uni.createFrom().item(failed(ProvisioningAction.Other, null, op, answer));
            }
            JsonNode resources = parse(answer).path("Resources");
            int count = resources.isArray() ? resources.size() : 0;
            if (count > 1) {
                return Uni.createFrom().item(Outcome.failure(ProvisioningAction.Other, null,
                        ErrorCodes.DUPLICATE_TARGET_ENTRIES, count + " Druva groups match " + matching.targetAttribute()
                                + " eq \"" + matching.value() + "\"",
                        answer));
            }
            if (count == 1) {
                JsonNode group = resources.get(0);
                Map<String, Object> state = new LinkedHashMap<>();
                state.put(DISPLAY_NAME, group.path(DISPLAY_NAME).asText(null));
                // matched without its members: read them with the group only when needed (Druva ignores re-adds)
                state.put(MEMBERS, List.of());
                if (ourCreate) {
                    state.put(CREATED_BY, op.operationId());
                }
                Link link = new Link(group.path("id").asText(), state);
                return store.saveLink(target.jobId(), GROUP, op.objectId(), link, op.cycleId(), inProgress(op))
                        .chain(() -> sync(op, target, link, ourCreate, null, mayRecover));
            }
            if (!target.actions().create()) {
                return Uni.createFrom().item(Outcome.skipped(ProvisioningAction.Create, null,
                        ErrorCodes.ACTION_DISABLED, "the job's target object actions do not allow create"));
            }
            String externalId = text(op.attributes().get(EXTERNAL_ID));
            ScimCall post = new ScimCall(op.objectId(), "POST", "/Groups", GroupRequests.GROUPS,
                    GroupRequests.createBody(displayName, externalId));
            return store.markCreateSent(target.jobId(), GROUP, op.objectId(), op.cycleId(), op.operationId())
                    .chain(() -> client.send(target, post)).flatMap(created -> {
                        if (!created.ok()) {
                            Outcome failure = failed(ProvisioningAction.Create, null, op, created);
                            return created.kind().retryable()
                                    ? Uni.createFrom().item(failure)
                                    : store.forgetCreate(target.jobId(), GROUP, op.objectId(), op.operationId())
                                            .replaceWith(failure);
                        }
                        String id = parse(created).path("id").asText(null);
                        if (id == null) {
                            return Uni.createFrom().item(Outcome.failure(ProvisioningAction.Create, null,
                                    ErrorCodes.TARGET_ERROR, "POST /Groups answered without an id", created));
                        }
                        Map<String, Object> state = new LinkedHashMap<>();
                        state.put(DISPLAY_NAME, displayName);
                        if (externalId != null) {
                            state.put(EXTERNAL_ID, externalId);
                        }
                        state.put(MEMBERS, List.of());
                        state.put(CREATED_BY, op.operationId());
                        Link link = new Link(id, state);
                        return store.saveLink(target.jobId(), GROUP, op.objectId(), link, op.cycleId(), inProgress(op))
                                .chain(() -> sync(op, target, link, true, created, false));
                    });
        });
    }

    /**
     * Renames if needed, then adds and removes members in chunks.
     *
     * @param createAnswer Druva's answer to the POST this operation just made (201), which a Create's result reports as
     *        a user's does; null when the group was matched (or created before a restart): the result then reports the
     *        last request's answer, or none. Before, a group created with no member to add yet reported no HTTP status
     */
    private Uni<Outcome> sync(ScimOperation op, TenantTarget target, Link link, boolean created,
            ScimAnswer createAnswer, boolean mayRecover) {
        List<ModifiedProperty> modified = new ArrayList<>();
        if (created) {
            modified.add(new ModifiedProperty(DISPLAY_NAME, null, text(link.state().get(DISPLAY_NAME))));
        }
        String desiredName = text(op.attributes().get(DISPLAY_NAME));
        String knownName = text(link.state().get(DISPLAY_NAME));
        Uni<SyncState> renamed;
        if (desiredName != null && !desiredName.equals(knownName)) {
            if (!target.actions().update()) {
                return Uni.createFrom().item(Outcome.skipped(ProvisioningAction.Update, link.targetId(),
                        ErrorCodes.ACTION_DISABLED, "the job's target object actions do not allow update"));
            }
            ScimCall call = new ScimCall(op.objectId(), "PATCH", "/Groups/{id}", GroupRequests.group(link.targetId()),
                    GroupRequests.renameBody(desiredName, target.dialect()));
            renamed = client.send(target, call).flatMap(answer -> {
                if (!answer.ok()) {
                    return Uni.createFrom().item(new SyncState(link, answer, null));
                }
                modified.add(new ModifiedProperty(DISPLAY_NAME, knownName, desiredName));
                Link next = with(link, DISPLAY_NAME, desiredName);
                return store.saveLink(target.jobId(), GROUP, op.objectId(), next, op.cycleId(), inProgress(op))
                        .replaceWith(new SyncState(next, answer, null));
            });
        } else {
            renamed = Uni.createFrom().item(new SyncState(link, null, null));
        }
        return renamed.flatMap(state -> {
            if (state.answer() != null && !state.answer().ok()) {
                return Uni.createFrom().item(afterFailure(op, target, link, state.answer(), mayRecover));
            }
            return members(op, target, state.link(), modified).flatMap(done -> {
                ScimAnswer last = done.answer() != null ? done.answer() : state.answer();
                if (done.answer() != null && !done.answer().ok()) {
                    return Uni.createFrom().item(afterFailure(op, target, done.link(), done.answer(), mayRecover));
                }
                ProvisioningAction action = created ? ProvisioningAction.Create : ProvisioningAction.Update;
                if (last == null && !created) {
                    return Uni.createFrom().item(Outcome.skipped(ProvisioningAction.Other, link.targetId(),
                            ErrorCodes.REDUNDANT_EXPORT,
                            "no change: Druva already holds the group's name and members"));
                }
                ScimAnswer reported = createAnswer != null ? createAnswer : last;
                Outcome outcome = new Outcome(action, ProvisioningStatus.Success, link.targetId(), null, null,
                        reported == null ? null : reported.status(), reported == null ? 1 : reported.attempts(),
                        modified);
                return UserProvisioner.ending(outcome,
                        WriterStore.marking(target.jobId(), GROUP, op.objectId(), UserProvisioner.done(op)));
            });
        }).flatMap(outcome -> outcome == RECOVER
                ? store.removeLink(target.jobId(), GROUP, op.objectId(), inProgress(op))
                        .chain(() -> matchOrCreate(op, target, false, false))
                : Uni.createFrom().item(outcome));
    }

    /** A marker outcome: the group's cached id returned 404 (InvalidAnchor); match or create it again. */
    private static final Outcome RECOVER = Outcome.skipped(ProvisioningAction.Other, null, ErrorCodes.INVALID_ANCHOR,
            "recover");

    private Outcome afterFailure(ScimOperation op, TenantTarget target, Link link, ScimAnswer answer,
            boolean mayRecover) {
        if (answer.kind() == FailureKind.NOT_FOUND && mayRecover) {
            LOG.warnf("InvalidAnchor: Druva group %s of job %s, object %s no longer exists: matching it again",
                    link.targetId(), target.jobId(), op.objectId());
            return RECOVER;
        }
        return failed(ProvisioningAction.Update, link.targetId(), op, answer);
    }

    private record SyncState(Link link, ScimAnswer answer, Void unused) {
    }

    private Uni<SyncState> members(ScimOperation op, TenantTarget target, Link link, List<ModifiedProperty> modified) {
        return store.targetIds(target.jobId(), USER, op.members()).flatMap(resolved -> {
            List<String> missing = op.members().stream().filter(m -> !resolved.containsKey(m)).toList();
            if (!missing.isEmpty()) {
                LOG.infof("group of job %s, object %s: %s not provisioned yet and left out: %s",
                        target.jobId(), op.objectId(), Plural.of(missing.size(), "member is", "members are"),
                        missing.size() > 10 ? missing.subList(0, 10) + "..." : missing);
            }
            List<String> known = membersOf(link).stream().distinct().toList();
            Set<String> knownSet = new HashSet<>(known);
            Set<String> desired = new HashSet<>(resolved.size() * 4 / 3 + 1);
            List<String> add = new ArrayList<>();
            for (String member : op.members()) {
                String id = resolved.get(member);
                if (id != null && desired.add(id) && !knownSet.contains(id)) {
                    add.add(id);
                }
            }
            List<String> remove = known.stream().filter(id -> !desired.contains(id)).toList();
            if (add.isEmpty() && remove.isEmpty()) {
                return Uni.createFrom().item(new SyncState(link, null, null));
            }
            if (!target.actions().update() && !known.isEmpty()) {
                return Uni.createFrom().item(new SyncState(link, null, null));
            }
            Plan plan = new Plan(known, add, remove, Math.max(1, config.groupMemberChunkSize()));
            int before = known.size();
            return chunks(op, target, link, plan, 0, 0, null).invoke(state -> {
                int after = membersOf(state.link()).size();
                modified.add(new ModifiedProperty(MEMBERS, Plural.of(before, "member"),
                        Plural.of(after, "member") + " (+" + add.size() + " -" + remove.size() + ")"));
            });
        });
    }

    /**
     * The member changes of one operation: the {@code Add} chunks of {@code add} in order, then the {@code Remove}
     * chunks of {@code remove}, {@code size} ids each. A chunk's ids and PATCH body are made only when it is sent, and
     * the members Druva holds after {@code n} chunks are derived from the lists ({@link #membersAfter}): a
     * 50,000-member group's ids are held once, in {@code add}, not again in a member set and per-chunk objects.
     *
     * @param known the members the group's link holds (distinct Druva user ids, in the link's order)
     * @param add the Druva user ids to add (distinct, none in {@code known}, in the operation's order)
     * @param remove the Druva user ids to remove (all in {@code known}, in its order)
     */
    private record Plan(List<String> known, List<String> add, List<String> remove, int size) {

        int addChunks() {
            return (add.size() + size - 1) / size;
        }

        int chunkCount() {
            return addChunks() + (remove.size() + size - 1) / size;
        }

        boolean isAdd(int index) {
            return index < addChunks();
        }

        List<String> ids(int index) {
            int i = isAdd(index) ? index * size : (index - addChunks()) * size;
            List<String> from = isAdd(index) ? add : remove;
            return from.subList(i, Math.min(from.size(), i + size));
        }

        /** The members Druva holds once the first {@code sent} chunks were accepted, in the link's order. */
        List<String> membersAfter(int sent) {
            int added = Math.min(add.size(), Math.min(sent, addChunks()) * size);
            int removed = Math.min(remove.size(), Math.max(0, sent - addChunks()) * size);
            Set<String> gone = new HashSet<>(remove.subList(0, removed));
            List<String> members = new ArrayList<>(known.size() - removed + added);
            known.forEach(id -> {
                if (!gone.contains(id)) {
                    members.add(id);
                }
            });
            members.addAll(add.subList(0, added));
            return Collections.unmodifiableList(members);
        }
    }

    /** Add chunks sent between two saves of the group's members. */
    static final int ADDS_PER_SAVE = 20;

    /**
     * Sends the chunks in order, one at a time, and records the members Druva holds in the group's link: after every
     * {@value #ADDS_PER_SAVE} {@code Add} chunks, after every {@code Remove} chunk, after a failure and at the end. Saving
     * after each chunk rewrote the whole member list per 50 members (quadratic: hours for a 50,000-member group); a
     * crash between saves re-sends at most {@value #ADDS_PER_SAVE} chunks of adds, which Druva ignores.
     *
     * @param index the next chunk to send (the chunks before it were accepted)
     * @param unsaved the chunks accepted since {@code saved} was saved
     */
    private Uni<SyncState> chunks(ScimOperation op, TenantTarget target, Link saved, Plan plan, int index, int unsaved,
            ScimAnswer last) {
        if (index >= plan.chunkCount()) {
            return save(op, target, saved, plan, index, unsaved).map(link -> new SyncState(link, last, null));
        }
        boolean add = plan.isAdd(index);
        String body = add
                ? GroupRequests.addMembersBody(plan.ids(index), target.dialect())
                : GroupRequests.removeMembersBody(plan.ids(index), target.dialect());
        ScimCall call = new ScimCall(op.objectId(), "PATCH", "/Groups/{id}", GroupRequests.group(saved.targetId()),
                body);
        return client.send(target, call).flatMap(answer -> {
            if (!answer.ok()) {
                return save(op, target, saved, plan, index, unsaved).map(link -> new SyncState(link, answer, null));
            }
            if (!add || unsaved + 1 >= ADDS_PER_SAVE) {
                return save(op, target, saved, plan, index + 1, unsaved + 1)
                        .chain(link -> chunks(op, target, link, plan, index + 1, 0, answer));
            }
            return chunks(op, target, saved, plan, index + 1, unsaved + 1, answer);
        });
    }

    /** Saves the members Druva holds after {@code sent} chunks when chunks were accepted since the last save. */
    private Uni<Link> save(ScimOperation op, TenantTarget target, Link saved, Plan plan, int sent, int unsaved) {
        if (unsaved == 0) {
            return Uni.createFrom().item(saved);
        }
        Link next = with(saved, MEMBERS, plan.membersAfter(sent));
        return store.saveLink(target.jobId(), GROUP, op.objectId(), next, op.cycleId(), inProgress(op))
                .replaceWith(next);
    }

    /** The mark of a change this operation made before its outcome is known. */
    private static WriterStore.Mark inProgress(ScimOperation op) {
        return new WriterStore.Mark(op.operationId(), null);
    }

    @SuppressWarnings("unchecked")
    private static List<String> membersOf(Link link) {
        Object members = link.state().get(MEMBERS);
        return members instanceof List<?> list ? (List<String>) list : List.of();
    }

    private static Link with(Link link, String key, Object value) {
        Map<String, Object> state = new LinkedHashMap<>(link.state());
        state.put(key, value);
        return new Link(link.targetId(), state);
    }

    private static Outcome failed(ProvisioningAction action, String targetId, ScimOperation op, ScimAnswer answer) {
        String code = answer.kind() == FailureKind.NOT_FOUND || answer.kind() == FailureKind.NONE
                ? ErrorCodes.TARGET_ERROR
                : answer.kind().errorCode();
        String reason = answer.problem() + (answer.attempts() > 1 ? " after " + answer.attempts() + " attempts" : "");
        LOG.warnf("group %s failed for job %s, object %s: %s (%s)", action, op.jobId(), op.objectId(), reason, code);
        return Outcome.failure(action, targetId, code, reason, answer);
    }

    private static String text(Object value) {
        return value == null ? null : String.valueOf(value);
    }

    private static JsonNode parse(ScimAnswer answer) {
        JsonNode node = answer.json();
        return node == null ? Json.mapper().createObjectNode() : node;
    }
}
