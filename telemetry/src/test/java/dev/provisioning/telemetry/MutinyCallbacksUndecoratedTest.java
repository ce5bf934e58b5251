package dev.provisioning.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ServiceLoader;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.infrastructure.CallbackDecorator;
import io.smallrye.mutiny.infrastructure.Infrastructure;

/**
 * The root pom keeps {@code mutiny-smallrye-context-propagation} off the class path that Quarkus' extensions give
 * every service (telemetry's own comes through quarkus-opentelemetry, quarkus-vertx and quarkus-mutiny, as the
 * services' do): with it, Mutiny wraps every callback of every Uni and Multi stage in a MicroProfile Context
 * Propagation capture and restore (issue 13, tenth round). A Quarkus upgrade that brings it back by another path
 * fails here.
 */
class MutinyCallbacksUndecoratedTest {

    @Test
    void noCallbackDecoratorIsRegistered() {
        assertThat(ServiceLoader.load(CallbackDecorator.class)).as("Mutiny's callback decorators").isEmpty();
    }

    @Test
    void aStageRunsTheCallbackItWasGiven() {
        Function<String, Integer> length = String::length;

        assertThat(Infrastructure.decorate(length)).isSameAs(length);
    }
}
