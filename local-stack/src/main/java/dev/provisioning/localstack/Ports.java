package dev.provisioning.localstack;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports for the local servers (Kafka's listeners, PostgreSQL, SMTP, the services of a local system) that are chosen
 * now and bound seconds later by another thread or process.
 *
 * <p>
 * Without configuration a port is the operating system's choice for {@code bind(0)}, released at once: right for the
 * run command and the benchmark, which start one system on the machine. When several test JVMs start systems at the
 * same time (the build runs two modules at once, and the end-to-end tests run in two modules beside the
 * benchmark's quick run), another JVM's {@code bind(0)} can return a port chosen here before its server has bound
 * it; the later server then fails to start. With the system property {@value #BLOCK_PROPERTY} set to {@code N}
 * (0 to {@value #MAX_BLOCK}), each JVM hands out ports from its own block, {@code 20000 + 900 N} to
 * {@code 20899 + 900 N}: below Linux's ephemeral range (32768-60999), so no client socket and no {@code bind(0)}
 * takes one, and disjoint from every other block. A port of the block that is in use (bound by something else) is
 * skipped.
 *
 * <p>
 * Either way a port is handed out at most once per JVM: the API ports of a system are all chosen before its servers
 * start, so a second choice must not return the first before its server has bound it.
 */
public final class Ports {

    /** The system property naming this JVM's block: an integer 0 to {@value #MAX_BLOCK}. */
    public static final String BLOCK_PROPERTY = "provisioning.port-block";
    static final int FIRST = 20_000;
    static final int BLOCK_SIZE = 900;
    /** The last block whose ports all lie below the ephemeral range (32768). */
    static final int MAX_BLOCK = 13;

    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
    private static final AtomicInteger NEXT_IN_BLOCK = new AtomicInteger();

    private Ports() {
    }

    /**
     * A port no server has bound and this JVM has not handed out before.
     *
     * @throws IllegalStateException if the block is exhausted, the property is not an integer 0 to
     *             {@value #MAX_BLOCK}, or the operating system has no free port
     */
    public static int free() {
        String block = System.getProperty(BLOCK_PROPERTY, "").trim();
        return block.isEmpty() ? ephemeral() : fromBlock(parseBlock(block));
    }

    static int parseBlock(String value) {
        int block;
        try {
            block = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalStateException(BLOCK_PROPERTY + " must be an integer 0 to " + MAX_BLOCK + ": " + value);
        }
        if (block < 0 || block > MAX_BLOCK) {
            throw new IllegalStateException(BLOCK_PROPERTY + " must be an integer 0 to " + MAX_BLOCK + ": " + value);
        }
        return block;
    }

    /** The next port of {@code block} that is free now and was not handed out before. */
    static int fromBlock(int block) {
        int first = FIRST + BLOCK_SIZE * block;
        for (int i = 0; i < BLOCK_SIZE; i++) {
            int port = first + Math.floorMod(NEXT_IN_BLOCK.getAndIncrement(), BLOCK_SIZE);
            if (!HANDED_OUT.contains(port) && bindable(port) && HANDED_OUT.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port left in port block " + block + " (" + first + "-"
                + (first + BLOCK_SIZE - 1) + ")");
    }

    private static int ephemeral() {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket socket = new ServerSocket(0)) {
                if (HANDED_OUT.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            } catch (IOException e) {
                throw new IllegalStateException("no free port", e);
            }
        }
        throw new IllegalStateException("no free port not handed out before");
    }

    /** Whether a server could bind the port now on every address (as the local servers do). */
    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
