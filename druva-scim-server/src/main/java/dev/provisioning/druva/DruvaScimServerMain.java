package dev.provisioning.druva;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Starts a {@link DruvaScimServer} from the command line and runs until interrupted.
 *
 * <p>
 * Arguments (each falls back to an environment variable, then to the default): {@code --host}
 * ({@code DRUVA_SCIM_HOST}, 127.0.0.1), {@code --port} ({@code DRUVA_SCIM_PORT}, 0 = free port), {@code --token}
 * ({@code DRUVA_SCIM_TOKEN}, druva-local-token), {@code --latency-ms} ({@code DRUVA_SCIM_LATENCY_MS}, 0),
 * {@code --rate-limit} ({@code DRUVA_SCIM_RATE_LIMIT}, requests per second, 0 = unlimited). Prints the tenant
 * URL on the first line of standard output.
 */
public final class DruvaScimServerMain {

    private DruvaScimServerMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        DruvaScimServer.Options options = DruvaScimServer.Options.defaults();
        String host = option(args, "--host", "DRUVA_SCIM_HOST");
        String port = option(args, "--port", "DRUVA_SCIM_PORT");
        String token = option(args, "--token", "DRUVA_SCIM_TOKEN");
        String latency = option(args, "--latency-ms", "DRUVA_SCIM_LATENCY_MS");
        String rateLimit = option(args, "--rate-limit", "DRUVA_SCIM_RATE_LIMIT");
        if (host != null) {
            options = options.host(host);
        }
        if (port != null) {
            options = options.port(Integer.parseInt(port));
        }
        if (token != null) {
            options = options.token(token);
        }
        if (latency != null) {
            options = options.latency(Duration.ofMillis(Long.parseLong(latency)));
        }
        if (rateLimit != null) {
            options = options.rateLimitPerSecond(Double.parseDouble(rateLimit));
        }
        DruvaScimServer server = DruvaScimServer.start(options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "druva-scim-shutdown"));
        System.out.println(server.baseUrl());
        System.out.println("Druva SCIM server listening; settings " + server.settings()
                + "; admin at http://127.0.0.1:" + server.port() + DruvaScimServer.ADMIN_PATH);
        stopped.await();
    }

    private static String option(String[] args, String name, String environmentVariable) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals(name) && i + 1 < args.length) {
                return args[i + 1];
            }
            if (args[i].startsWith(name + "=")) {
                return args[i].substring(name.length() + 1);
            }
        }
        String value = System.getenv(environmentVariable);
        return value == null || value.isBlank() ? null : value;
    }
}
