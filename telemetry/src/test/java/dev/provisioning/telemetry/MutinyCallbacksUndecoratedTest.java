package dev.provisioning.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ServiceLoader;

import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.infrastructure.CallbackDecorator;

/**
 * The root pom keeps {@code mutiny-smallrye-context-propagation} off the class path: Quarkus brings it through
 * quarkus-mutiny (telemetry's through quarkus-opentelemetry and quarkus-vertx, the services' also through
 * quarkus-messaging's quarkus-mutiny-reactive-streams-operators), and with it Mutiny wraps every callback of every Uni
 * and Multi stage in a MicroProfile Context Propagation capture and restore (issue 13, tenth round). A Quarkus upgrade
 * that brings it back by another path fails here: on a class path with the module, the service loader finds its
 * decorator.
 */
class MutinyCallbacksUndecoratedTest {

    @Test
    void noCallbackDecoratorIsRegistered() {
        assertThat(ServiceLoader.load(CallbackDecorator.class)).as("Mutiny's callback decorators").isEmpty();
    }
}
