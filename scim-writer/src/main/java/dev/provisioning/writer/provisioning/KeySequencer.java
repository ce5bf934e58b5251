package dev.provisioning.writer.provisioning;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * Runs work for one key (job/object) strictly one after the other, in the order it was submitted, while work for
 * different keys runs concurrently. Each piece of work runs on a fresh duplicated Vert.x context, so concurrent
 * objects never share a Hibernate Reactive session. Shared by the Kafka consumer and the provision-on-demand endpoint
 * of this replica; across replicas, Kafka's partitioning by key keeps one object on one replica.
 */
@ApplicationScoped
public class KeySequencer {

    private final Vertx vertx;
    private final Map<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();

    public KeySequencer(Vertx vertx) {
        this.vertx = vertx;
    }

    public <T> Uni<T> run(String key, Supplier<Uni<T>> work) {
        return Uni.createFrom().emitter(emitter -> {
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> previous = tails.put(key, mine);
            Runnable start = () -> {
                Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
                // this context is used by this piece of work only: Hibernate Reactive may keep its session there
                VertxContextSafetyToggle.setContextSafe(context, true);
                context.runOnContext(ignored -> {
                    Uni<T> uni;
                    try {
                        uni = work.get();
                    } catch (RuntimeException e) {
                        uni = Uni.createFrom().failure(e);
                    }
                    uni.subscribe().with(item -> {
                        finish(key, mine);
                        emitter.complete(item);
                    }, failure -> {
                        finish(key, mine);
                        emitter.fail(failure);
                    });
                });
            };
            if (previous == null) {
                start.run();
            } else {
                previous.whenComplete((ignored, failure) -> start.run());
            }
        });
    }

    /** Keys with work running or waiting. */
    public int activeKeys() {
        return tails.size();
    }

    private void finish(String key, CompletableFuture<Void> mine) {
        tails.remove(key, mine);
        mine.complete(null);
    }
}
