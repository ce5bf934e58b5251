package dev.provisioning.localstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class PortsTest {

    @Test
    void aBlocksPortsLieInItsOwnRangeBelowTheEphemeralRangeAndAreNeverHandedOutTwice() {
        Set<Integer> seven = new HashSet<>();
        Set<Integer> eight = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            seven.add(Ports.fromBlock(7));
            eight.add(Ports.fromBlock(8));
        }
        assertThat(seven).hasSize(20).allSatisfy(p -> assertThat(p).isBetween(26_300, 27_199));
        assertThat(eight).hasSize(20).allSatisfy(p -> assertThat(p).isBetween(27_200, 28_099));
        assertThat(Ports.FIRST + Ports.BLOCK_SIZE * (Ports.MAX_BLOCK + 1) - 1).isLessThan(32_768);
    }

    @Test
    void aPortOfTheBlockThatSomethingElseHoldsIsSkipped() throws Exception {
        int next = Ports.fromBlock(3);
        // hold the ports that come next in the block: none of them may be handed out while held
        try (ServerSocket a = bound(next + 1); ServerSocket b = bound(next + 2)) {
            int port = Ports.fromBlock(3);
            assertThat(port).isNotIn(next + 1, next + 2).isBetween(22_700, 23_599);
        }
    }

    @Test
    void withoutABlockThePortIsTheOperatingSystemsChoice() {
        String before = System.getProperty(Ports.BLOCK_PROPERTY);
        System.clearProperty(Ports.BLOCK_PROPERTY);
        try {
            int port = Ports.free();
            assertThat(port).isPositive().isNotEqualTo(Ports.free());
        } finally {
            if (before != null) {
                System.setProperty(Ports.BLOCK_PROPERTY, before);
            }
        }
    }

    @Test
    void aBlockOutsideZeroToThirteenIsRefusedNamingTheProperty() {
        assertThatThrownBy(() -> Ports.parseBlock("14")).hasMessageContaining(Ports.BLOCK_PROPERTY)
                .hasMessageContaining("14");
        assertThatThrownBy(() -> Ports.parseBlock("x")).hasMessageContaining(Ports.BLOCK_PROPERTY);
        assertThat(Ports.parseBlock(" 13".trim())).isEqualTo(13);
    }

    private static ServerSocket bound(int port) throws Exception {
        ServerSocket socket = new ServerSocket();
        socket.bind(new InetSocketAddress(port));
        return socket;
    }
}
