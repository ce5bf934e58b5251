package dev.provisioning.detector.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import org.junit.jupiter.api.Test;

/**
 * The id index ({@link IdIndex}) answers as a {@code HashMap<String, Integer>} would, through random adds, updates and
 * removals (removals shift the entries after them back, which a wrong shift would lose), growth, and ids that share
 * their hash code.
 */
class IdIndexTest {

    @Test
    void theIndexAnswersAsAMapWouldThroughAddsUpdatesAndRemovals() {
        Random random = new Random(13);
        String[] ids = new String[3_000];
        for (int i = 0; i < ids.length; i++) {
            // "Aa" and "BB" have the same hash code: so do all ids that differ only by them
            ids[i] = i % 4 == 0
                    ? "Aa".repeat(i % 3) + "BB".repeat(2 - i % 3) + i / 12
                    : UUID.nameUUIDFromBytes(("user-" + i).getBytes()).toString();
        }
        Map<String, Integer> expected = new HashMap<>();
        IdIndex index = new IdIndex(0);
        for (int step = 0; step < 60_000; step++) {
            String id = ids[random.nextInt(ids.length)];
            int position = random.nextInt(1_000_000);
            switch (random.nextInt(4)) {
                case 0 -> assertThat(index.put(id, position)).isEqualTo(orAbsent(expected.put(id, position)));
                case 1 -> assertThat(index.putIfAbsent(id, position))
                        .isEqualTo(orAbsent(expected.putIfAbsent(id, position)));
                case 2 -> assertThat(index.remove(id)).isEqualTo(orAbsent(expected.remove(id)));
                default -> assertThat(index.get(id)).isEqualTo(orAbsent(expected.get(id)));
            }
            if (step % 10_000 == 0) {
                assertThat(index.ids()).containsExactlyInAnyOrderElementsOf(expected.keySet());
            }
        }
        assertThat(index.size()).isEqualTo(expected.size());
        for (String id : ids) {
            assertThat(index.get(id)).as(id).isEqualTo(orAbsent(expected.get(id)));
            assertThat(index.ids().contains(id)).isEqualTo(expected.containsKey(id));
        }
        assertThat(index.ids()).hasSize(expected.size()).containsExactlyInAnyOrderElementsOf(expected.keySet());
    }

    private static int orAbsent(Integer position) {
        return position == null ? IdIndex.ABSENT : position;
    }
}
