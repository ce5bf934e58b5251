package dev.provisioning.localstack;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A Quarkus test resource that starts the real local stack once per test JVM and points the service under test at it.
 * Use it with {@code @QuarkusTestResource(value = LocalStackTestResource.class, initArgs = @ResourceArg(name =
 * "database", value = "scim_writer"))}; omit the database for a stateless service. Tests reach the stack through
 * {@link #stack()}.
 */
public class LocalStackTestResource implements QuarkusTestResourceLifecycleManager {

    private static LocalStack stack;
    private String database;

    @Override
    public void init(Map<String, String> initArgs) {
        this.database = initArgs.get("database");
    }

    @Override
    public synchronized Map<String, String> start() {
        if (stack == null) {
            // stopped by the stack's own shutdown hook when the test JVM exits
            stack = LocalStack.start(Integer.getInteger("provisioning.test.partitions", 4));
        }
        return stack.serviceConfig(database);
    }

    @Override
    public void stop() {
        // the stack lives as long as the test JVM (shutdown hook): test classes share one broker and one database
    }

    /** The running stack; only valid after the resource started. */
    public static LocalStack stack() {
        if (stack == null) {
            throw new IllegalStateException("the local stack has not been started by LocalStackTestResource");
        }
        return stack;
    }
}
