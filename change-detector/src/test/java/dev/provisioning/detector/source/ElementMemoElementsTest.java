package dev.provisioning.detector.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The element memo's table ({@link ElementMemo.Elements}) answers as a map from 128-bit digests would, through growth,
 * replacement, and digests that share their low bits or one of their halves.
 */
class ElementMemoElementsTest {

    @Test
    void theTableAnswersAsAMapWould() {
        Random random = new Random(13);
        Map<List<Long>, Object> expected = new HashMap<>();
        ElementMemo.Elements table = new ElementMemo.Elements(0);
        for (int i = 0; i < 20_000; i++) {
            long high = switch (i % 3) {
                case 0 -> random.nextLong();
                // the same slot bits as others, or the same high half
                case 1 -> (random.nextLong() << 20) | 5;
                default -> 42L;
            };
            long low = i % 5 == 0 ? 0L : random.nextLong();
            Object element = "element " + i;
            table.put(high, low, element);
            expected.put(List.of(high, low), element);
            if (i % 7 == 0) {
                // replaced
                table.put(high, low, "again " + i);
                expected.put(List.of(high, low), "again " + i);
            }
        }

        assertThat(table.size()).isEqualTo(expected.size());
        expected.forEach((digest, element) -> assertThat(table.get(digest.get(0), digest.get(1))).isEqualTo(element));
        for (int i = 0; i < 1_000; i++) {
            long high = random.nextLong();
            long low = random.nextLong();
            assertThat(table.get(high, low)).isEqualTo(expected.get(List.of(high, low)));
        }
        assertThat(new ElementMemo.Elements(1_000).get(0, 0)).isNull();
    }
}
