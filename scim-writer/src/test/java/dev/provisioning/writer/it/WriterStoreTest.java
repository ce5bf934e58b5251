package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.provisioning.writer.Waits;
import dev.provisioning.writer.escrow.EscrowState;
import dev.provisioning.writer.escrow.Escrowed;
import dev.provisioning.writer.persistence.EscrowStore;
import dev.provisioning.writer.persistence.WriterStore;
import dev.provisioning.writer.persistence.WriterStore.Entry;
import dev.provisioning.writer.persistence.WriterStore.Found;
import dev.provisioning.writer.persistence.WriterStore.Link;
import dev.provisioning.writer.persistence.WriterStore.Mark;
import dev.provisioning.writer.persistence.WriterStore.ObjectKey;

/**
 * The id map's and processed operations' single-statement upserts on the real PostgreSQL: the rules each statement
 * applies to an absent row, a create in flight, a managed object and a tombstone, what a second call does (a
 * redelivered operation, a link saved twice), concurrent calls for one key (two replicas during a rebalance), and the
 * one-statement lookup with each of its parts missing.
 */
@QuarkusTest
class WriterStoreTest {

    private static final String USER = "USER";

    @Inject
    WriterStore store;

    @Inject
    EscrowStore escrows;

    @Inject
    Pool pool;

    private String jobId;

    @BeforeEach
    void newJob() {
        jobId = unique("job");
    }

    @Test
    void anOperationRecordedTwiceKeepsItsFirstResult() {
        String resultId = jobId + "/obj/cycle/op-1";

        await(store.markProcessed(resultId, jobId, "op-1", "{\"first\":true}"));
        await(store.markProcessed(resultId, jobId, "op-1", "{\"second\":true}"));

        assertThat(await(store.processedResult(resultId))).contains("{\"first\":true}");
        assertThat(count("processed_operation", "result_id", resultId)).isOne();
    }

    @Test
    void concurrentRecordsOfOneOperationAllSucceedAndOneResultIsKept() {
        String resultId = jobId + "/obj/cycle/op-1";
        List<Uni<Void>> racing = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            racing.add(store.markProcessed(resultId, jobId, "op-1", "{\"attempt\":" + i + "}"));
        }

        await(Uni.join().all(racing).andFailFast());

        assertThat(count("processed_operation", "result_id", resultId)).isOne();
        assertThat(await(store.processedResult(resultId))).hasValueSatisfying(json -> assertThat(json)
                .startsWith("{\"attempt\":"));
    }

    /**
     * A poison row: eight operations recorded at once share one statement, and PostgreSQL refuses one of their rows (a
     * NUL character in text, SQLSTATE 22021). Before, the whole statement failed, so all eight failed and retried;
     * now the seven others are recorded and only the refused one fails, with {@code WriterRowRefused}.
     */
    @Test
    void aRowThePostgresqlRefusesFailsOnlyItsOwnCallNotTheOthersOfItsStatement() {
        List<Uni<String>> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String json = i == 5 ? "{\"name\":\"nul\u0000\"}" : "{\"ok\":" + i + "}";
            calls.add(store.markProcessed(jobId + "/obj/cycle/op-" + i, jobId, "op-" + i, json)
                    .map(ignored -> "recorded")
                    .onFailure().recoverWithItem(e -> e.getClass().getSimpleName() + ": " + e.getMessage()));
        }

        List<String> outcomes = await(Uni.join().all(calls).andFailFast());

        for (int i = 0; i < 8; i++) {
            if (i == 5) {
                assertThat(outcomes.get(i)).startsWith("RowRefused: WriterRowRefused").contains("SQLSTATE 22021");
                assertThat(await(store.processedResult(jobId + "/obj/cycle/op-" + i))).isEmpty();
            } else {
                assertThat(outcomes.get(i)).as("operation %d", i).isEqualTo("recorded");
                assertThat(await(store.processedResult(jobId + "/obj/cycle/op-" + i))).contains("{\"ok\":" + i + "}");
            }
        }
    }

    @Test
    void aCreateMarkedBeforeItIsSentAndThenLinkedKeepsItsCycleAndTheOperationsOutcome() {
        await(store.markCreateSent(jobId, USER, "u1", "cycle-1", "op-1"));

        Entry pending = entry("u1");
        assertThat(pending.targetId()).isNull();
        assertThat(pending.state()).isEmpty();
        assertThat(pending.readable()).isTrue();
        assertThat(pending.createSentBy("op-1")).isTrue();
        assertThat(pending.createSentBy("op-2")).isFalse();
        assertThat(pending.live()).isEmpty();
        assertThat(firstCycle("u1")).isEqualTo("cycle-1");

        // the link is saved by the same operation in a later cycle's delivery: the first cycle stays the create's
        await(store.saveLink(jobId, USER, "u1", new Link("druva-1", Map.of("userName", "a@example.com")), "cycle-2",
                new Mark("op-1", "{\"action\":\"Create\"}")));

        Entry linked = entry("u1");
        assertThat(linked.live()).hasValueSatisfying(link -> {
            assertThat(link.targetId()).isEqualTo("druva-1");
            assertThat(link.state()).containsEntry("userName", "a@example.com");
        });
        assertThat(linked.completedBy("op-1")).contains("{\"action\":\"Create\"}");
        assertThat(linked.createSentBy("op-1")).isFalse();
        assertThat(firstCycle("u1")).isEqualTo("cycle-1");
    }

    @Test
    void aCreateMarkedAgainByAnotherOperationBecomesThatOperationsAndKeepsItsCycle() {
        await(store.markCreateSent(jobId, USER, "u1", "cycle-1", "op-1"));
        await(store.markOutcome(jobId, USER, "u1", new Mark("op-1", "{\"failed\":true}")));

        await(store.markCreateSent(jobId, USER, "u1", "cycle-2", "op-2"));

        Entry pending = entry("u1");
        assertThat(pending.createSentBy("op-2")).isTrue();
        assertThat(pending.outcome()).isNull();
        assertThat(firstCycle("u1")).isEqualTo("cycle-1");
    }

    @Test
    void markingACreateLeavesAManagedObjectAsItIs() {
        await(store.saveLink(jobId, USER, "u1", new Link("druva-1", Map.of("active", true)), "cycle-1",
                new Mark("op-1", "{\"done\":1}")));

        await(store.markCreateSent(jobId, USER, "u1", "cycle-2", "op-2"));

        Entry managed = entry("u1");
        assertThat(managed.live()).hasValueSatisfying(link -> {
            assertThat(link.targetId()).isEqualTo("druva-1");
            assertThat(link.state()).containsEntry("active", true);
        });
        assertThat(managed.operationId()).isEqualTo("op-1");
        assertThat(managed.outcome()).isEqualTo("{\"done\":1}");
        assertThat(firstCycle("u1")).isEqualTo("cycle-1");
    }

    @Test
    void aTombstoneMarkedOrLinkedAgainStartsAFreshFirstCycle() {
        await(store.saveLink(jobId, USER, "u1", new Link("druva-1", Map.of("active", true)), "cycle-1",
                new Mark("op-1", null)));
        await(store.removeLink(jobId, USER, "u1", new Mark("op-2", "{\"deleted\":1}")));
        Entry tombstone = entry("u1");
        assertThat(tombstone.deleted()).isTrue();
        assertThat(tombstone.state()).isEmpty();
        assertThat(tombstone.live()).isEmpty();
        assertThat(tombstone.completedBy("op-2")).contains("{\"deleted\":1}");

        await(store.markCreateSent(jobId, USER, "u1", "cycle-3", "op-3"));
        Entry pending = entry("u1");
        assertThat(pending.deleted()).isFalse();
        assertThat(pending.targetId()).isNull();
        assertThat(pending.createSentBy("op-3")).isTrue();
        assertThat(firstCycle("u1")).isEqualTo("cycle-3");

        await(store.saveLink(jobId, USER, "u2", new Link("druva-2", Map.of()), "cycle-1", new Mark("op-1", null)));
        await(store.removeLink(jobId, USER, "u2", new Mark("op-2", null)));
        await(store.saveLink(jobId, USER, "u2", new Link("druva-3", Map.of()), "cycle-4", new Mark("op-4", null)));
        assertThat(entry("u2").live()).map(Link::targetId).contains("druva-3");
        assertThat(firstCycle("u2")).isEqualTo("cycle-4");
    }

    @Test
    void aLinkSavedTwiceHoldsTheSecondStateAndTheFirstCycle() {
        Link first = new Link("druva-1", Map.of("displayName", "A"));
        Link second = new Link("druva-1", Map.of("displayName", "B"));

        await(store.saveLink(jobId, USER, "u1", first, "cycle-1", new Mark("op-1", null)));
        await(store.saveLink(jobId, USER, "u1", second, "cycle-2", new Mark("op-2", "{\"updated\":1}")));
        await(store.saveLink(jobId, USER, "u1", second, "cycle-2", new Mark("op-2", "{\"updated\":1}")));

        Entry entry = entry("u1");
        assertThat(entry.live()).map(Link::state).contains(Map.of("displayName", "B"));
        assertThat(entry.completedBy("op-2")).contains("{\"updated\":1}");
        assertThat(firstCycle("u1")).isEqualTo("cycle-1");
        assertThat(count("id_map", "id", WriterStore.idOf(jobId, USER, "u1"))).isOne();
    }

    @Test
    void concurrentMarksAndLinksOfOneObjectAllSucceedOnOneRow() {
        List<Uni<Void>> racing = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            racing.add(store.markCreateSent(jobId, USER, "u1", "cycle-1", "op-1"));
            racing.add(store.saveLink(jobId, USER, "u1", new Link("druva-1", Map.of()), "cycle-1",
                    new Mark("op-1", null)));
        }

        await(Uni.join().all(racing).andFailFast());

        assertThat(count("id_map", "id", WriterStore.idOf(jobId, USER, "u1"))).isOne();
        assertThat(firstCycle("u1")).isEqualTo("cycle-1");
    }

    @Test
    void aFailedCreateIsForgottenOnlyByTheOperationThatMarkedIt() {
        await(store.markCreateSent(jobId, USER, "u1", "cycle-1", "op-1"));

        await(store.forgetCreate(jobId, USER, "u1", "op-2"));
        assertThat(await(store.findEntry(jobId, USER, "u1"))).isPresent();

        await(store.forgetCreate(jobId, USER, "u1", "op-1"));
        assertThat(await(store.findEntry(jobId, USER, "u1"))).isEmpty();

        await(store.saveLink(jobId, USER, "u2", new Link("druva-2", Map.of()), "cycle-1", new Mark("op-1", null)));
        await(store.forgetCreate(jobId, USER, "u2", "op-1"));
        assertThat(await(store.findEntry(jobId, USER, "u2"))).isPresent();
    }

    @Test
    void aStateThatCannotBeReadIsNotTakenForAnEmptyOne() {
        await(store.saveLink(jobId, USER, "u1", new Link("druva-1", Map.of()), "cycle-1", new Mark("op-1", null)));
        await(pool.preparedQuery("UPDATE id_map SET target_state = 'not json' WHERE id = $1")
                .execute(Tuple.of(WriterStore.idOf(jobId, USER, "u1"))));

        assertThat(entry("u1").live()).hasValueSatisfying(link -> {
            assertThat(link.readable()).isFalse();
            assertThat(link.targetId()).isEqualTo("druva-1");
        });
    }

    @Test
    void targetIdsResolveMoreSourceIdsThanOneQueryTakesKeyedByTheCallersIds() {
        int managed = WriterStore.TARGET_IDS_PER_QUERY + 5;
        List<Uni<Void>> saves = new ArrayList<>();
        for (int i = 0; i < managed; i++) {
            saves.add(store.saveLink(jobId, USER, "u" + i, new Link("druva-" + i, Map.of()), "cycle-1",
                    new Mark("op-" + i, null)));
        }
        await(Uni.join().all(saves).andFailFast());
        await(store.removeLink(jobId, USER, "u3", new Mark("op-gone", null)));
        // asked: every managed user, one unknown and one twice, the last ones in a second query
        List<String> asked = new ArrayList<>();
        for (int i = 0; i < managed; i++) {
            asked.add(new String("u" + i));
        }
        asked.add("u-unknown");
        asked.add(new String("u7"));

        Map<String, String> resolved = await(store.targetIds(jobId, USER, asked));

        assertThat(resolved).hasSize(managed - 1).doesNotContainKeys("u3", "u-unknown")
                .containsEntry("u0", "druva-0").containsEntry("u" + (managed - 1), "druva-" + (managed - 1));
        String last = asked.get(managed - 1);
        assertThat(resolved.keySet()).anySatisfy(key -> assertThat(key).isSameAs(last));
    }

    @Test
    void onlyLinksOfAnotherCycleMeanTheJobIsPastItsInitialCycle() {
        assertThat(await(store.hasLinksBefore(jobId, USER, "cycle-1"))).isFalse();
        await(store.markCreateSent(jobId, USER, "u0", "cycle-0", "op-0"));
        await(store.saveLink(jobId, USER, "u1", new Link("druva-1", Map.of()), "cycle-1", new Mark("op-1", null)));
        assertThat(await(store.hasLinksBefore(jobId, USER, "cycle-1"))).isFalse();
        assertThat(await(store.hasLinksBefore(jobId, "GROUP", "cycle-2"))).isFalse();

        assertThat(await(store.hasLinksBefore(jobId, USER, "cycle-2"))).isTrue();
        await(store.removeLink(jobId, USER, "u1", new Mark("op-2", null)));
        assertThat(await(store.hasLinksBefore(jobId, USER, "cycle-2"))).isFalse();
    }

    @Test
    void theLookupReadsEachPartThatExistsAndNothingElse() {
        String resultId = jobId + "/u1/cycle-1/op-1";
        String escrowId = Escrowed.idOf(jobId, USER, "u1");
        ObjectKey object = new ObjectKey(jobId, USER, "u1");

        Found nothing = await(store.lookup(resultId, escrowId, object));
        assertThat(nothing.processed()).isEmpty();
        assertThat(nothing.escrow()).isEmpty();
        assertThat(nothing.entry()).isEmpty();

        await(store.markProcessed(resultId, jobId, "op-1", "{\"r\":1}"));
        Found processed = await(store.lookup(resultId, escrowId, object));
        assertThat(processed.processed()).contains("{\"r\":1}");
        assertThat(processed.escrow()).isEmpty();
        assertThat(processed.entry()).isEmpty();

        // retried in an hour: a row already due is the running writer's to retry, which moves its nextAttemptAt
        // between the two reads below (CI, 2026-12-05)
        Escrowed waiting = new Escrowed(escrowId, jobId, "u1", "op-1", "{}", 2, java.time.Instant.now(),
                java.time.Instant.now().plus(java.time.Duration.ofHours(1)), "TargetUnavailable", "down",
                EscrowState.ESCROWED, resultId, null, null, null, "tenant-a", null);
        await(escrows.save(waiting));
        Found escrowed = await(store.lookup(null, escrowId, null));
        assertThat(escrowed.processed()).isEmpty();
        assertThat(escrowed.entry()).isEmpty();
        assertThat(escrowed.escrow()).hasValueSatisfying(row -> {
            assertThat(row.id()).isEqualTo(escrowId);
            assertThat(row.jobId()).isEqualTo(jobId);
            assertThat(row.operationId()).isEqualTo("op-1");
            assertThat(row.retries()).isEqualTo(2);
            assertThat(row.state()).isEqualTo(EscrowState.ESCROWED);
            assertThat(row.resultId()).isEqualTo(resultId);
            assertThat(row.tenant()).isEqualTo("tenant-a");
        });
        assertThat(escrowed.escrow()).isEqualTo(await(escrows.find(escrowId)));

        await(store.saveLink(jobId, USER, "u1", new Link("druva-1", Map.of("active", true)), "cycle-1",
                new Mark("op-0", "{\"o\":0}")));
        Found all = await(store.lookup(resultId, escrowId, object));
        assertThat(all.processed()).contains("{\"r\":1}");
        assertThat(all.escrow()).isPresent();
        assertThat(all.entry()).isEqualTo(await(store.findEntry(jobId, USER, "u1")));
        assertThat(all.entry()).hasValueSatisfying(e -> {
            assertThat(e.targetId()).isEqualTo("druva-1");
            assertThat(e.state()).containsEntry("active", true);
            assertThat(e.completedBy("op-0")).contains("{\"o\":0}");
        });

        Found onlyTheEntry = await(store.lookup(jobId + "/u1/cycle-1/other", null, object));
        assertThat(onlyTheEntry.processed()).isEmpty();
        assertThat(onlyTheEntry.escrow()).isEmpty();
        assertThat(onlyTheEntry.entry()).isPresent();
    }

    private Entry entry(String sourceId) {
        Optional<Entry> entry = await(store.findEntry(jobId, USER, sourceId));
        assertThat(entry).as("id map row of %s", sourceId).isPresent();
        return entry.get();
    }

    private String firstCycle(String sourceId) {
        Row row = await(pool.preparedQuery("SELECT first_cycle_id FROM id_map WHERE id = $1")
                .execute(Tuple.of(WriterStore.idOf(jobId, USER, sourceId)))).iterator().next();
        return row.getString(0);
    }

    private long count(String table, String key, String value) {
        return await(pool.preparedQuery("SELECT count(*) FROM " + table + " WHERE " + key + " = $1")
                .execute(Tuple.of(value))).iterator().next().getLong(0);
    }

    private static <T> T await(Uni<T> uni) {
        return uni.await().atMost(Waits.OUTCOME);
    }
}
