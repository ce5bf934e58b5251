package dev.provisioning.notifier;

import java.util.function.Supplier;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/** Helpers for mixing the mailer with a reactive Hibernate transaction. */
final class VertxContexts {

    private VertxContexts() {
    }

    /**
     * Runs an asynchronous call and resumes on the current Vert.x context: the reactive session that the rest of the
     * transaction uses is bound to it, and the mailer completes on another one.
     */
    static <T> Uni<T> onThisContext(Supplier<Uni<? extends T>> call) {
        Context context = Vertx.currentContext();
        Uni<T> uni = Uni.createFrom().<T>deferred(call);
        return context == null ? uni : uni.emitOn(command -> context.runOnContext(ignored -> command.run()));
    }
}
