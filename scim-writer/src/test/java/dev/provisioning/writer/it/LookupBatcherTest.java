package dev.provisioning.writer.it;

import static dev.provisioning.writer.it.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.PreparedQuery;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;

import dev.provisioning.writer.Waits;
import dev.provisioning.writer.escrow.EscrowState;
import dev.provisioning.writer.escrow.Escrowed;
import dev.provisioning.writer.persistence.EscrowStore;
import dev.provisioning.writer.persistence.MicroBatcher;
import dev.provisioning.writer.persistence.WriterStore;
import dev.provisioning.writer.persistence.WriterStore.Batching;
import dev.provisioning.writer.persistence.WriterStore.Found;
import dev.provisioning.writer.persistence.WriterStore.Link;
import dev.provisioning.writer.persistence.WriterStore.Mark;
import dev.provisioning.writer.persistence.WriterStore.ObjectKey;

/**
 * The batched statements of {@link WriterStore} (issue 13, W2) on the real PostgreSQL: concurrent lookups of different
 * objects in one window are one statement and each caller gets its own rows; a window of recorded results is one
 * statement, and a row PostgreSQL refuses fails only its own caller (the window is split down to it: the poison row); a caller resumes only when its row is visible from another
 * connection, and on its own Vert.x context. The id-map writes (W4) too: one statement per window, calls of one object
 * in a window merged into what they amount to in call order (PostgreSQL refuses an upsert that touches a row twice). The stores here count the statements they send through a wrapper around
 * the pool, and their windows are long (minutes) and sized to the calls of a test, so a window is run by its size,
 * never by its time: the test does not depend on timing. The deferrals of {@link EscrowStore#defer} likewise: one
 * statement per window, the later of one object's rows wins.
 */
@QuarkusTest
class LookupBatcherTest {

    private static final String USER = "USER";
    private static final Duration NEVER = Waits.BURST;

    @Inject
    Pool pool;

    @Inject
    EscrowStore escrows;

    @Inject
    MeterRegistry registry;

    @Inject
    Vertx vertx;

    @Inject
    io.vertx.mutiny.core.Vertx mutinyVertx;

    @ConfigProperty(name = "quarkus.datasource.reactive.url")
    String url;

    @ConfigProperty(name = "quarkus.datasource.username")
    String user;

    @ConfigProperty(name = "quarkus.datasource.password")
    String password;

    private final AtomicInteger statements = new AtomicInteger();
    private Pool other;
    private String jobId;

    @BeforeEach
    void setUp() {
        jobId = unique("job");
        statements.set(0);
        PgConnectOptions options = PgConnectOptions.fromUri(url).setUser(user).setPassword(password);
        other = Pool.pool(mutinyVertx, options, new PoolOptions().setMaxSize(1));
    }

    @AfterEach
    void closeOther() {
        other.closeAndAwait();
    }

    @Test
    void lookupsOfDifferentObjectsInOneWindowAreOneStatementAndEachCallerGetsItsOwnRows() {
        WriterStore direct = store(1);
        String processedId = jobId + "/u1/cycle-1/op-1";
        await(direct.markProcessed(processedId, jobId, "op-1", "{\"r\":1}"));
        String escrowId = Escrowed.idOf(jobId, USER, "u2");
        // retried in an hour: a row already due is the running writer's to retry (WriterStoreTest, CI 2026-12-05)
        await(escrows.save(new Escrowed(escrowId, jobId, "u2", "op-2", "{}", 0, Instant.now(),
                Instant.now().plus(java.time.Duration.ofHours(1)), "TargetUnavailable", "down", EscrowState.ESCROWED,
                jobId + "/u2/cycle-1/op-2", null, null, null, "tenant-a", null)));
        await(direct.saveLink(jobId, USER, "u3", new Link("druva-3", Map.of("userName", "u3")), "cycle-1",
                new Mark("op-3", null)));
        statements.set(0);
        WriterStore batched = store(4);

        List<Found> found = await(Uni.join().all(
                batched.lookup(processedId, Escrowed.idOf(jobId, USER, "u1"), new ObjectKey(jobId, USER, "u1")),
                batched.lookup(jobId + "/u2/cycle-1/op-9", escrowId, new ObjectKey(jobId, USER, "u2")),
                batched.lookup(jobId + "/u3/cycle-1/op-9", Escrowed.idOf(jobId, USER, "u3"),
                        new ObjectKey(jobId, USER, "u3")),
                batched.lookup(null, null, null)).andFailFast());

        assertThat(statements).as("four lookups in one window: one statement").hasValue(1);
        assertThat(found.get(0).processed()).contains("{\"r\":1}");
        assertThat(found.get(0).escrow()).isEmpty();
        assertThat(found.get(0).entry()).isEmpty();
        assertThat(found.get(1).processed()).isEmpty();
        assertThat(found.get(1).escrow()).hasValueSatisfying(row -> assertThat(row.operationId()).isEqualTo("op-2"));
        assertThat(found.get(1).entry()).isEmpty();
        assertThat(found.get(2).processed()).isEmpty();
        assertThat(found.get(2).escrow()).isEmpty();
        assertThat(found.get(2).entry()).hasValueSatisfying(e -> {
            assertThat(e.targetId()).isEqualTo("druva-3");
            assertThat(e.operationId()).isEqualTo("op-3");
        });
        assertThat(found.get(3).processed()).isEmpty();
        assertThat(found.get(3).escrow()).isEmpty();
        assertThat(found.get(3).entry()).isEmpty();
    }

    @Test
    void recordedResultsOfOneWindowAreOneStatementAndTheFirstResultOfAnIdIsKept() {
        WriterStore batched = store(3);
        String a = jobId + "/a/cycle-1/op-1";
        String b = jobId + "/b/cycle-1/op-2";

        await(Uni.join().all(batched.markProcessed(a, jobId, "op-1", "{\"first\":true}"),
                batched.markProcessed(b, jobId, "op-2", "{\"b\":true}"),
                batched.markProcessed(a, jobId, "op-1", "{\"second\":true}")).andFailFast());

        assertThat(statements).hasValue(1);
        assertThat(resultJson(a)).isEqualTo("{\"first\":true}");
        assertThat(resultJson(b)).isEqualTo("{\"b\":true}");
    }

    @Test
    void aRefusedRowFailsOnlyItsOwnCallerAndTheRestOfItsWindowIsStored() {
        WriterStore batched = store(2);
        String good = jobId + "/good/cycle-1/op-1";
        String bad = jobId + "/bad/cycle-1/op-2";
        String later1 = jobId + "/later1/cycle-1/op-3";
        String later2 = jobId + "/later2/cycle-1/op-4";
        List<CompletableFuture<Throwable>> outcomes = new ArrayList<>();
        // the first window: a row the table refuses (job_id is NOT NULL) fails its statement, which is then split
        outcomes.add(outcome(batched.markProcessed(good, jobId, "op-1", "{}")));
        outcomes.add(outcome(batched.markProcessed(bad, null, "op-2", "{}")));
        // the next window is a statement of its own
        outcomes.add(outcome(batched.markProcessed(later1, jobId, "op-3", "{}")));
        outcomes.add(outcome(batched.markProcessed(later2, jobId, "op-4", "{}")));

        List<Throwable> failures = outcomes.stream().map(f -> f.orTimeout(NEVER.toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS).join()).toList();

        assertThat(failures.get(0)).as("the other caller of the refused row's window").isNull();
        assertThat(failures.get(1)).as("the refused row's caller").isInstanceOf(MicroBatcher.RowRefused.class)
                .hasMessageContaining(MicroBatcher.ROW_REFUSED).hasMessageContaining("job_id");
        assertThat(((MicroBatcher.RowRefused) failures.get(1)).sqlState()).isEqualTo("23502");
        assertThat(failures.get(2)).as("a caller of the next window").isNull();
        assertThat(failures.get(3)).as("a caller of the next window").isNull();
        assertThat(statements).as("the window, its two halves, the next window").hasValue(4);
        assertThat(rows(good)).as("the refused row's neighbour is stored").isOne();
        assertThat(rows(bad)).isZero();
        assertThat(rows(later1)).isOne();
        assertThat(rows(later2)).isOne();
    }

    @Test
    void aCallerResumesOnlyWhenItsRowIsVisibleFromAnotherConnection() {
        WriterStore batched = store(3);
        List<String> ids = List.of(jobId + "/x/cycle-1/op-1", jobId + "/y/cycle-1/op-2", jobId + "/z/cycle-1/op-3");
        List<Uni<Long>> seen = new ArrayList<>();
        for (String id : ids) {
            // when the caller resumes, it asks another connection (its own pool of one) for its row
            seen.add(batched.markProcessed(id, jobId, "op", "{}").chain(() -> other
                    .preparedQuery("SELECT count(*) FROM processed_operation WHERE result_id = $1")
                    .execute(Tuple.of(id)).map(rows -> rows.iterator().next().getLong(0))));
        }

        assertThat(await(Uni.join().all(seen).andFailFast())).containsExactly(1L, 1L, 1L);
        assertThat(statements).hasValue(1);
    }

    @Test
    void aCallerResumesOnItsOwnVertxContext() {
        WriterStore batched = store(2);
        List<CompletableFuture<Boolean>> onOwn = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Context own = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
            CompletableFuture<Boolean> resumed = new CompletableFuture<>();
            String id = jobId + "/ctx" + i + "/cycle-1/op";
            own.runOnContext(ignored -> batched.lookup(id, null, null).subscribe().with(
                    found -> resumed.complete(Vertx.currentContext() == own), resumed::completeExceptionally));
            onOwn.add(resumed);
        }

        for (CompletableFuture<Boolean> resumed : onOwn) {
            assertThat(resumed.orTimeout(NEVER.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS).join())
                    .as("resumed on the context it called from").isTrue();
        }
        assertThat(statements).hasValue(1);
    }

    @Test
    void linksOfOneObjectInOneWindowAreOneStatementAndLeaveWhatTheCallsInTurnWouldLeave() {
        WriterStore batched = store(3);

        await(Uni.join().all(
                batched.saveLink(jobId, USER, "u1", new Link("druva-1", Map.of("userName", "a")), "cycle-1",
                        new Mark("op-1", null)),
                batched.saveLink(jobId, USER, "u2", new Link("druva-2", Map.of()), "cycle-1", new Mark("op-1", null)),
                batched.saveLink(jobId, USER, "u1", new Link("druva-1", Map.of("userName", "b")), "cycle-2",
                        new Mark("op-2", "{\"updated\":1}")))
                .andFailFast());

        assertThat(statements).as("three links, one object twice, in one window: one statement").hasValue(1);
        WriterStore.Entry u1 = entry("u1");
        assertThat(u1.targetId()).isEqualTo("druva-1");
        assertThat(u1.state()).as("the later call's state").containsEntry("userName", "b");
        assertThat(u1.completedBy("op-2")).as("the later call's mark").contains("{\"updated\":1}");
        assertThat(firstCycle("u1")).as("the new row's first cycle is the first call's").isEqualTo("cycle-1");
        assertThat(entry("u2").targetId()).isEqualTo("druva-2");
    }

    @Test
    void createsMarkedInOneWindowAreOneStatementAndLeaveAManagedObjectAsItIs() {
        new WriterStore(registry, pool, vertx).saveLink(jobId, USER, "u1", new Link("druva-1", Map.of()), "cycle-1",
                new Mark("op-1", "{\"created\":1}")).await().atMost(Waits.OUTCOME);
        WriterStore batched = store(3);

        await(Uni.join().all(batched.markCreateSent(jobId, USER, "u1", "cycle-2", "op-2"),
                batched.markCreateSent(jobId, USER, "u2", "cycle-2", "op-2"),
                batched.markCreateSent(jobId, USER, "u2", "cycle-3", "op-3")).andFailFast());

        assertThat(statements).hasValue(1);
        assertThat(entry("u1").live()).as("a managed object keeps its link").hasValueSatisfying(
                link -> assertThat(link.targetId()).isEqualTo("druva-1"));
        assertThat(entry("u1").completedBy("op-1")).contains("{\"created\":1}");
        assertThat(entry("u2").createSentBy("op-3")).as("the later call's create is in flight").isTrue();
        assertThat(firstCycle("u2")).isEqualTo("cycle-2");
    }

    @Test
    void outcomesAndTombstonesOfOneWindowAreOneStatementEachAndTheLaterCallOfAnObjectWins() {
        WriterStore direct = new WriterStore(registry, pool, vertx);
        for (String object : List.of("u1", "u2", "u3")) {
            await(direct.saveLink(jobId, USER, object, new Link("druva-" + object, Map.of("active", true)),
                    "cycle-1", new Mark("op-1", null)));
        }
        WriterStore batched = store(2);

        await(Uni.join().all(batched.markOutcome(jobId, USER, "u1", new Mark("op-1", "{\"first\":1}")),
                batched.markOutcome(jobId, USER, "u1", new Mark("op-2", "{\"second\":1}"))).andFailFast());
        await(Uni.join().all(batched.removeLink(jobId, USER, "u2", new Mark("op-3", "{\"deleted\":1}")),
                batched.removeLink(jobId, USER, "u3", new Mark("op-3", "{\"deleted\":1}"))).andFailFast());

        assertThat(statements).as("two windows of two").hasValue(2);
        assertThat(entry("u1").completedBy("op-2")).contains("{\"second\":1}");
        assertThat(entry("u1").live()).isPresent();
        for (String removed : List.of("u2", "u3")) {
            assertThat(entry(removed).deleted()).isTrue();
            assertThat(entry(removed).live()).isEmpty();
            assertThat(entry(removed).completedBy("op-3")).contains("{\"deleted\":1}");
        }
    }

    @Test
    void aRefusedLinkFailsOnlyItsOwnCallerAndTheRestOfItsWindowIsStored() {
        WriterStore batched = store(2);
        List<CompletableFuture<Throwable>> outcomes = new ArrayList<>();
        Mark mark = new Mark("op-1", null);
        // the first window: a row the table refuses (job_id is NOT NULL) fails its statement, which is then split
        outcomes.add(outcome(batched.saveLink(jobId, USER, "good", new Link("druva-g", Map.of()), "cycle-1", mark)));
        outcomes.add(outcome(batched.saveLink(null, USER, "bad", new Link("druva-b", Map.of()), "cycle-1", mark)));
        outcomes.add(outcome(batched.saveLink(jobId, USER, "later1", new Link("druva-1", Map.of()), "cycle-1",
                mark)));
        outcomes.add(outcome(batched.saveLink(jobId, USER, "later2", new Link("druva-2", Map.of()), "cycle-1",
                mark)));

        List<Throwable> failures = outcomes.stream().map(f -> f.orTimeout(NEVER.toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS).join()).toList();

        assertThat(failures.get(0)).as("the other caller of the refused row's window").isNull();
        assertThat(failures.get(1)).as("the refused row's caller").isInstanceOf(MicroBatcher.RowRefused.class)
                .hasMessageContaining("job_id");
        assertThat(failures.get(2)).as("a caller of the next window").isNull();
        assertThat(failures.get(3)).as("a caller of the next window").isNull();
        assertThat(statements).as("the window, its two halves, the next window").hasValue(4);
        assertThat(idMapRows("good")).as("the refused row's neighbour is stored").isOne();
        assertThat(idMapRows("later1")).isOne();
        assertThat(idMapRows("later2")).isOne();
    }

    /**
     * Issue 13: an operation's last id-map write and its recorded result are one statement, shared with the other
     * operations of the window: a created user's link, an updated user's outcome and a deleted user's tombstone, each
     * with its result. After one statement, each object reads as linked, updated or gone and each operation as done; the
     * same window run again (a redelivery after a crash before the commit was acknowledged) leaves all of it as it was.
     */
    @Test
    void anOperationsLinkAndItsRecordedResultOfOneWindowAreOneStatementAndAReplayChangesNothing() {
        WriterStore direct = new WriterStore(registry, pool, vertx);
        for (String object : List.of("u2", "u3")) {
            await(direct.saveLink(jobId, USER, object, new Link("druva-" + object, Map.of("active", true)),
                    "cycle-1", new Mark("op-0", null)));
        }
        await(direct.markCreateSent(jobId, USER, "u1", "cycle-2", "op-1"));
        statements.set(0);
        WriterStore batched = store(3);
        String created = jobId + "/u1/cycle-2/op-1";
        String updated = jobId + "/u2/cycle-2/op-2";
        String deleted = jobId + "/u3/cycle-2/op-3";
        Uni<List<Void>> window = Uni.join().all(
                batched.markProcessed(created, jobId, "op-1", "{\"action\":\"Create\"}",
                        WriterStore.linking(jobId, USER, "u1", new Link("druva-u1", Map.of("userName", "a")),
                                "cycle-2", new Mark("op-1", "{\"created\":1}"))),
                batched.markProcessed(updated, jobId, "op-2", "{\"action\":\"Update\"}",
                        WriterStore.marking(jobId, USER, "u2", new Mark("op-2", "{\"updated\":1}"))),
                batched.markProcessed(deleted, jobId, "op-3", "{\"action\":\"Delete\"}",
                        WriterStore.removing(jobId, USER, "u3", new Mark("op-3", "{\"deleted\":1}"))))
                .andFailFast();

        await(window);

        assertThat(statements).as("three results with their id-map writes: one statement").hasValue(1);
        List<Object> after = seen(created, updated, deleted);
        assertThat(entry("u1").live()).hasValueSatisfying(link -> {
            assertThat(link.targetId()).isEqualTo("druva-u1");
            assertThat(link.state()).containsEntry("userName", "a");
        });
        assertThat(entry("u1").completedBy("op-1")).contains("{\"created\":1}");
        assertThat(firstCycle("u1")).as("the create in flight's cycle").isEqualTo("cycle-2");
        assertThat(entry("u2").live()).isPresent();
        assertThat(entry("u2").completedBy("op-2")).contains("{\"updated\":1}");
        assertThat(entry("u3").deleted()).isTrue();
        assertThat(entry("u3").completedBy("op-3")).contains("{\"deleted\":1}");
        assertThat(resultJson(created)).isEqualTo("{\"action\":\"Create\"}");
        assertThat(resultJson(updated)).isEqualTo("{\"action\":\"Update\"}");
        assertThat(resultJson(deleted)).isEqualTo("{\"action\":\"Delete\"}");

        await(window);

        assertThat(statements).as("the replay: one statement").hasValue(2);
        assertThat(seen(created, updated, deleted)).as("what the replay leaves").isEqualTo(after);
    }

    /**
     * The processed row is never committed without its id-map write, nor the write without its row: when PostgreSQL
     * refuses one operation's link, that operation has neither (it fails alone and is carried out again), and the
     * other operation of the window has both.
     */
    @Test
    void aRefusedLinkLeavesItsOperationWithoutItsResultAndTheOtherOperationWithBoth() {
        WriterStore batched = store(2);
        String good = jobId + "/good/cycle-1/op-1";
        String bad = jobId + "/bad/cycle-1/op-2";

        CompletableFuture<Throwable> goodCall = outcome(batched.markProcessed(good, jobId, "op-1", "{}",
                WriterStore.linking(jobId, USER, "good", new Link("druva-g", Map.of()), "cycle-1",
                        new Mark("op-1", "{}"))));
        // the table refuses the link (job_id is NOT NULL), not the result
        CompletableFuture<Throwable> badCall = outcome(batched.markProcessed(bad, jobId, "op-2", "{}",
                WriterStore.linking(null, USER, "bad", new Link("druva-b", Map.of()), "cycle-1",
                        new Mark("op-2", "{}"))));

        assertThat(goodCall.orTimeout(NEVER.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS).join()).isNull();
        assertThat(badCall.orTimeout(NEVER.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS).join())
                .isInstanceOf(MicroBatcher.RowRefused.class).hasMessageContaining("job_id");
        assertThat(rows(good)).isOne();
        assertThat(idMapRows("good")).isOne();
        assertThat(rows(bad)).as("no result without its link").isZero();
        assertThat(idMapRows("bad")).isZero();
    }

    /**
     * Two operations of one object in one window whose id-map writes differ in kind (a link, then a tombstone) cannot
     * share an upsert and an update of one row: they are two statements, in call order, and leave what the calls in
     * turn leave; writes of one kind to one row are merged into one statement as a window of links merges them.
     */
    @Test
    void twoDifferentWritesOfOneObjectInOneWindowAreTwoStatementsInCallOrder() {
        WriterStore batched = store(3);
        String linked = jobId + "/u1/cycle-1/op-1";
        String removed = jobId + "/u1/cycle-1/op-2";
        String other = jobId + "/u2/cycle-1/op-3";

        await(Uni.join().all(
                batched.markProcessed(linked, jobId, "op-1", "{\"linked\":1}", WriterStore.linking(jobId, USER, "u1",
                        new Link("druva-1", Map.of()), "cycle-1", new Mark("op-1", "{\"linked\":1}"))),
                batched.markProcessed(other, jobId, "op-3", "{\"other\":1}", WriterStore.linking(jobId, USER, "u2",
                        new Link("druva-2", Map.of()), "cycle-1", new Mark("op-3", "{\"other\":1}"))),
                batched.markProcessed(removed, jobId, "op-2", "{\"removed\":1}",
                        WriterStore.removing(jobId, USER, "u1", new Mark("op-2", "{\"removed\":1}"))))
                .andFailFast());

        assertThat(statements).as("the link of u1 and u2, then u1's tombstone").hasValue(2);
        assertThat(entry("u1").deleted()).isTrue();
        assertThat(entry("u1").completedBy("op-2")).contains("{\"removed\":1}");
        assertThat(entry("u2").live()).isPresent();
        assertThat(List.of(rows(linked), rows(removed), rows(other))).containsOnly(1L);
    }

    /** What a user or operator reads of these results and objects: the recorded results and the id-map rows. */
    private List<Object> seen(String... resultIds) {
        List<Object> seen = new ArrayList<>();
        for (String resultId : resultIds) {
            seen.add(resultJson(resultId));
        }
        for (String object : List.of("u1", "u2", "u3")) {
            seen.add(entry(object));
            seen.add(firstCycle(object));
        }
        return seen;
    }

    private WriterStore.Entry entry(String sourceId) {
        return await(new WriterStore(registry, pool, vertx).findEntry(jobId, USER, sourceId)).orElseThrow();
    }

    private String firstCycle(String sourceId) {
        return await(pool.preparedQuery("SELECT first_cycle_id FROM id_map WHERE id = $1")
                .execute(Tuple.of(WriterStore.idOf(jobId, USER, sourceId)))).iterator().next().getString(0);
    }

    @Test
    void deferralsAndRemovalsOfOneWindowAreOneStatementEachAndTheLaterDeferralOfOneObjectWins() {
        EscrowStore batched = escrowStore(3);
        Instant now = Instant.now();
        List<CompletableFuture<Throwable>> calls = new ArrayList<>();
        calls.add(outcome(batched.defer(deferred("u1", "op-1", "{\"op\":1}", now))));
        calls.add(outcome(batched.defer(deferred("u2", "op-2", "{\"op\":2}", now))));
        calls.add(outcome(batched.defer(deferred("u1", "op-3", "{\"op\":3}", now))));
        calls.forEach(call -> assertThat(call.join()).isNull());

        assertThat(statements).hasValue(1);
        assertThat(await(escrows.find(Escrowed.idOf(jobId, USER, "u1")))).hasValueSatisfying(row -> {
            assertThat(row.operationId()).isEqualTo("op-3");
            assertThat(row.operationJson()).isEqualTo("{\"op\":3}");
            assertThat(row.state()).isEqualTo(EscrowState.DEFERRED);
            assertThat(row.tenant()).isEqualTo("tenant-a");
            assertThat(row.lastErrorCode()).isEmpty();
        });
        assertThat(await(escrows.find(Escrowed.idOf(jobId, USER, "u2"))))
                .hasValueSatisfying(row -> assertThat(row.operationId()).isEqualTo("op-2"));
        // a deferral replaces the object's row as a save does
        await(escrowStore(1).defer(deferred("u2", "op-4", "{\"op\":4}", now)));
        assertThat(await(escrows.find(Escrowed.idOf(jobId, USER, "u2"))))
                .hasValueSatisfying(row -> assertThat(row.operationId()).isEqualTo("op-4"));

        // removals too: one statement per window, each removing its row only if it still holds that operation
        statements.set(0);
        EscrowStore removing = escrowStore(2);
        List<CompletableFuture<Throwable>> removals = List.of(
                outcome(removing.delete(Escrowed.idOf(jobId, USER, "u1"), "op-3")),
                outcome(removing.delete(Escrowed.idOf(jobId, USER, "u2"), "op-2")));
        removals.forEach(call -> assertThat(call.join()).isNull());
        assertThat(statements).hasValue(1);
        assertThat(await(escrows.find(Escrowed.idOf(jobId, USER, "u1")))).isEmpty();
        assertThat(await(escrows.find(Escrowed.idOf(jobId, USER, "u2"))))
                .hasValueSatisfying(row -> assertThat(row.operationId()).isEqualTo("op-4"));
    }

    private Escrowed deferred(String objectId, String operationId, String json, Instant now) {
        return new Escrowed(Escrowed.idOf(jobId, USER, objectId), jobId, objectId, operationId, json, 0, now, now, null,
                null, EscrowState.DEFERRED, null, now, null, null, "tenant-a", null);
    }

    /** An escrow store whose statements are counted and whose deferrals run when {@code size} are in a window. */
    private EscrowStore escrowStore(int size) {
        return new EscrowStore(counting(), vertx, new Batching(size, NEVER));
    }

    private long idMapRows(String sourceId) {
        return await(pool.preparedQuery("SELECT count(*) FROM id_map WHERE id = $1")
                .execute(Tuple.of(WriterStore.idOf(jobId, USER, sourceId)))).iterator().next().getLong(0);
    }

    /** A store whose statements are counted and whose window runs when {@code size} calls are in it. */
    private WriterStore store(int size) {
        return new WriterStore(registry, counting(), vertx, new Batching(size, NEVER));
    }

    /** The pool, its statements counted in {@link #statements}. */
    private Pool counting() {
        return new Pool(pool.getDelegate()) {
            @Override
            public PreparedQuery<RowSet<Row>> preparedQuery(String sql) {
                statements.incrementAndGet();
                return super.preparedQuery(sql);
            }
        };
    }

    private static CompletableFuture<Throwable> outcome(Uni<Void> call) {
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        call.subscribe().with(ignored -> outcome.complete(null), outcome::complete);
        return outcome;
    }

    private String resultJson(String resultId) {
        return await(pool.preparedQuery("SELECT result_json FROM processed_operation WHERE result_id = $1")
                .execute(Tuple.of(resultId))).iterator().next().getString(0);
    }

    private long rows(String resultId) {
        return await(pool.preparedQuery("SELECT count(*) FROM processed_operation WHERE result_id = $1")
                .execute(Tuple.of(resultId))).iterator().next().getLong(0);
    }

    private static <T> T await(Uni<T> uni) {
        return uni.await().atMost(Waits.OUTCOME);
    }
}
