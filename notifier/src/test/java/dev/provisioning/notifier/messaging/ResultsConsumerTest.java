package dev.provisioning.notifier.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.ProvisioningAction;
import dev.provisioning.events.ProvisioningResult;
import dev.provisioning.events.ProvisioningStatus;
import dev.provisioning.events.Topics;
import dev.provisioning.notifier.NotifierMetrics;
import dev.provisioning.notifier.Waits;
import dev.provisioning.notifier.config.NotifierStop;
import dev.provisioning.notifier.persistence.Outbox;

/**
 * The results consumer's handling of one poll with a stand-in outbox and dead-letter channel, for what the real
 * database cannot be made to do in a test: refuse every attempt. The backoff is shortened to milliseconds; the number
 * of attempts is the production one.
 */
class ResultsConsumerTest {

    static final TopicPartition P0 = new TopicPartition(Topics.RESULTS, 0);
    static final TopicPartition P1 = new TopicPartition(Topics.RESULTS, 1);

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final NotifierMetrics metrics = new NotifierMetrics(registry);
    final ResultsProgress progress = new ResultsProgress();
    final List<Message<String>> deadLetters = new CopyOnWriteArrayList<>();

    @BeforeEach
    void assignTwoPartitionsEndingAtOffsets13And41() {
        try (MockConsumer<String, String> consumer = new MockConsumer<>("earliest")) {
            consumer.assign(List.of(P0, P1));
            consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
            consumer.updateEndOffsets(Map.of(P0, 14L, P1, 42L));
            progress.onPartitionsAssigned(consumer, List.of(P0, P1));
        }
        assertThat(progress.caughtUp()).isFalse();
    }

    @Test
    void failuresTheDatabaseKeepsRefusingAreDeadLetteredWithTheReasonAfterTheRetriesAndThePollCompletes() {
        AtomicInteger attempts = new AtomicInteger();
        Outbox refusing = outbox(failures -> {
            attempts.incrementAndGet();
            return Uni.createFrom().failure(new IllegalStateException("Connection refused: localhost/127.0.0.1:5432"));
        });
        ResultsConsumer consumer = consumer(refusing, sending());

        consumer.onResults(poll()).await().atMost(Waits.OUTCOME);

        assertThat(attempts).hasValue(1 + ResultsConsumer.STORE_RETRIES);
        // the malformed record, and every Failure of the poll (u1, its repeat, u3), each with its reason; the Success
        // is not dead-lettered
        assertThat(deadLetters).extracting(m -> header(m, "dead-letter-offset"))
                .containsExactlyInAnyOrder("11", "10", "13", "41");
        assertThat(deadLetters).filteredOn(m -> header(m, "dead-letter-offset").equals("11")).singleElement()
                .satisfies(m -> {
                    assertThat(m.getPayload()).isEqualTo("{not json");
                    assertThat(key(m)).isEqualTo("bad");
                    assertThat(header(m, "dead-letter-reason")).startsWith("ProvisioningResult: ");
                    assertThat(header(m, "dead-letter-topic")).isEqualTo(Topics.RESULTS);
                    assertThat(header(m, "dead-letter-partition")).isEqualTo("0");
                });
        List<Message<String>> unstored = deadLetters.stream()
                .filter(m -> !header(m, "dead-letter-offset").equals("11")).toList();
        assertThat(unstored).extracting(ResultsConsumerTest::key)
                .containsExactlyInAnyOrder("job-a/u1", "job-a/u1", "job-a/u3");
        assertThat(unstored).allSatisfy(m -> {
            assertThat(header(m, "dead-letter-reason")).isEqualTo(
                    "the failure could not be stored in the outbox: Connection refused: localhost/127.0.0.1:5432");
            assertThat(m.getPayload()).contains("\"objectId\":\"" + key(m).toString().substring(6) + "\"");
        });
        assertThat(registry.find("notifier.failures.stored").counters()).isEmpty();
        // handled: dead-lettered counts as handled, so the partitions are caught up and the poll is acked
        assertThat(progress.caughtUp()).isTrue();
    }

    @Test
    void storedAndDeduplicatedAreCountedFromTheIdsTheInsertReturnedAndProgressMovesToEachPartitionsLastOffset() {
        AtomicInteger statements = new AtomicInteger();
        Outbox someStoredBefore = outbox(failures -> {
            statements.incrementAndGet();
            assertThat(failures).extracting(ProvisioningResult::objectId).containsExactlyInAnyOrder("u1", "u3");
            // u3 was stored by an earlier poll (a redelivery after a crash)
            return Uni.createFrom().item(Set.of(result("u1", ProvisioningStatus.Failure).resultId()));
        });
        ResultsConsumer consumer = consumer(someStoredBefore, sending());

        consumer.onResults(poll()).await().atMost(Waits.OUTCOME);

        assertThat(statements).hasValue(1);
        assertThat(count("notifier.failures.stored", "job-a")).isEqualTo(1.0);
        // the repeat of u1 in the same poll, and u3
        assertThat(count("notifier.failures.deduplicated", "job-a")).isEqualTo(2.0);
        assertThat(deadLetters).singleElement()
                .satisfies(m -> assertThat(header(m, "dead-letter-offset")).isEqualTo("11"));
        assertThat(progress.caughtUp()).isTrue();
    }

    @Test
    void aDeadLetterThatCannotBeSentFailsThePollWhichIsThenNotCountedAsRead() {
        ResultsConsumer consumer = consumer(outbox(failures -> Uni.createFrom().item(Set.of())),
                message -> Uni.createFrom().failure(new IllegalStateException("broker unreachable")));

        assertThatThrownBy(() -> consumer.onResults(poll()).await().atMost(Waits.OUTCOME))
                .hasMessageContaining("broker unreachable");
        assertThat(progress.caughtUp()).isFalse();
    }

    /**
     * The database fails as the notifier stops, the store in its backoff: the stop ends the retry at once, nothing is
     * dead-lettered, and the poll is neither completed (acked) nor failed (nacked): it stays for the next start. Then
     * the drain ends at once, and a poll delivered after it is not handled. Before, the retries went on for about half
     * a minute against the closed pool and then dead-lettered the Failures (never emailed).
     */
    @Test
    void aStoreInItsBackoffWhenTheNotifierStopsGivesUpAtOnceLeavingThePollUnackedAndNothingDeadLettered()
            throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        Outbox failing = outbox(failures -> {
            attempts.incrementAndGet();
            return Uni.createFrom().failure(new IllegalStateException("Connection refused: localhost/127.0.0.1:5432"));
        });
        // an hour of backoff: only the stop ends it
        ResultsConsumer consumer = new ResultsConsumer(new KnownJobs(), failing, metrics, progress, emitter(sending()),
                Duration.ofHours(1), Duration.ofHours(1), new NotifierStop(), null);
        CompletableFuture<Void> poll = consumer.onResults(poll()).subscribeAsCompletionStage().toCompletableFuture();
        await().atMost(Waits.OUTCOME).until(() -> attempts.get() == 1);

        consumer.pause(null);
        CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> consumer.drain(Duration.ofHours(1)));

        assertThat(drained.get(Waits.OUTCOME.toMinutes(), TimeUnit.MINUTES)).as("the poll ended, within the stop's")
                .isTrue();

        assertThat(attempts).as("store attempts").hasValue(1);
        assertThat(poll).as("the poll: neither acked nor nacked").isNotDone();
        assertThat(deadLetters).extracting(m -> header(m, "dead-letter-offset")).as("only the malformed record")
                .containsExactly("11");
        assertThat(progress.caughtUp()).isFalse();

        AtomicInteger later = new AtomicInteger();
        consumer.onResults(poll()).subscribe().with(ignored -> later.incrementAndGet(),
                failure -> later.incrementAndGet());
        assertThat(later).as("a poll delivered after the stop: not handled, not acked").hasValue(0);
        assertThat(attempts).hasValue(1);
    }

    /**
     * Partition 0: a Failure of job-a (offset 10), a malformed record (11), a Success (12), the Failure again (13);
     * partition 1: a Failure of job-a (41, the last offset before the end).
     */
    private static ConsumerRecords<String, String> poll() {
        ProvisioningResult u1 = result("u1", ProvisioningStatus.Failure);
        return new ConsumerRecords<>(Map.of(
                P0, List.of(record(P0, 10, u1), new ConsumerRecord<>(Topics.RESULTS, 0, 11, "bad", "{not json"),
                        record(P0, 12, result("u2", ProvisioningStatus.Success)), record(P0, 13, u1)),
                P1, List.of(record(P1, 41, result("u3", ProvisioningStatus.Failure)))), Map.of());
    }

    private ResultsConsumer consumer(Outbox outbox, Function<Message<String>, Uni<Void>> send) {
        return new ResultsConsumer(new KnownJobs(), outbox, metrics, progress, emitter(send), Duration.ofMillis(1),
                Duration.ofMillis(2), new NotifierStop(), null);
    }

    private Function<Message<String>, Uni<Void>> sending() {
        return message -> {
            deadLetters.add(message);
            return Uni.createFrom().voidItem();
        };
    }

    /** An outbox whose {@code storeAll} is {@code store}; no other method is called by the consumer. */
    private static Outbox outbox(Function<List<ProvisioningResult>, Uni<Set<String>>> store) {
        return new Outbox(null) {
            @Override
            public Uni<Set<String>> storeAll(List<ProvisioningResult> failures, Instant receivedAt) {
                return store.apply(failures);
            }
        };
    }

    /** A dead-letter channel whose {@code sendMessage} is {@code send}; the consumer calls nothing else. */
    @SuppressWarnings("unchecked")
    private static MutinyEmitter<String> emitter(Function<Message<String>, Uni<Void>> send) {
        return (MutinyEmitter<String>) Proxy.newProxyInstance(ResultsConsumerTest.class.getClassLoader(),
                new Class<?>[]{MutinyEmitter.class}, (proxy, method, args) -> {
                    if (method.getName().equals("sendMessage")) {
                        return send.apply((Message<String>) args[0]);
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private double count(String name, String job) {
        var counter = registry.find(name).tag("provisioning_job", job).counter();
        return counter == null ? 0 : counter.count();
    }

    private static String header(Message<String> message, String name) {
        Headers headers = metadata(message).getHeaders();
        return new String(headers.lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static Object key(Message<String> message) {
        return metadata(message).getKey();
    }

    @SuppressWarnings("unchecked")
    private static OutgoingKafkaRecordMetadata<String> metadata(Message<String> message) {
        return message.getMetadata(OutgoingKafkaRecordMetadata.class).orElseThrow();
    }

    private static ConsumerRecord<String, String> record(TopicPartition tp, long offset, ProvisioningResult r) {
        return new ConsumerRecord<>(tp.topic(), tp.partition(), offset, r.jobId() + "/" + r.objectId(), Json.write(r));
    }

    private static ProvisioningResult result(String objectId, ProvisioningStatus status) {
        String eventId = "event-" + objectId;
        boolean failed = status == ProvisioningStatus.Failure;
        return new ProvisioningResult(ProvisioningResult.SCHEMA_VERSION,
                ProvisioningResult.idOf("job-a", objectId, "cycle-1", eventId), "job-a", "cycle-1", eventId,
                ObjectType.USER, objectId, null, objectId, ProvisioningAction.Create, status,
                failed ? "EntryConflict" : null, failed ? "taken" : null, null, 1, 12, List.of(), "mapper-service",
                Instant.parse("2026-12-02T04:00:00Z"));
    }
}
