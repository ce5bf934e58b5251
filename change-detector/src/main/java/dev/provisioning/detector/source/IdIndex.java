package dev.provisioning.detector.source;

import java.util.AbstractSet;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * Object ids to their position in a read (a user's index in {@link Directory#users}), as an open-addressing table of
 * the ids in one {@code String[]} and the positions in one {@code int[]}: about 20 bytes an id where a
 * {@code HashMap<String, Integer>} took about 60 (its node and, past 127, the boxed position; issue 13: one per read
 * and one in each job's plan memo, 100,000 ids each at 100,000 users). Ids are compared by {@link String#equals}.
 * Not thread-safe.
 */
public final class IdIndex {

    /** What {@link #get} and the updates answer for an id the index does not hold. */
    public static final int ABSENT = -1;

    private String[] ids;
    private int[] positions;
    private int size;

    /** An empty index for about {@code expected} ids (it grows past them). */
    public IdIndex(int expected) {
        int slots = Integer.highestOneBit(Math.max(16, expected + expected / 3) - 1) << 1;
        ids = new String[slots];
        positions = new int[slots];
    }

    /** The id's position, or {@link #ABSENT}. */
    public int get(String id) {
        int slot = find(id);
        return slot < 0 ? ABSENT : positions[slot];
    }

    public boolean contains(String id) {
        return find(id) >= 0;
    }

    /**
     * Sets the id's position.
     *
     * @param position 0 or more
     * @return the position it had, or {@link #ABSENT} when it was added
     */
    public int put(String id, int position) {
        return put(id, position, true);
    }

    /** Adds the id at {@code position} unless it is held: answers its position then, else {@link #ABSENT}. */
    public int putIfAbsent(String id, int position) {
        return put(id, position, false);
    }

    /** Removes the id; answers the position it had, or {@link #ABSENT}. */
    public int remove(String id) {
        int gap = find(id);
        if (gap < 0) {
            return ABSENT;
        }
        int removed = positions[gap];
        int mask = ids.length - 1;
        // backward-shift deletion: entries after the gap whose home is not between it and them move into it
        for (int next = (gap + 1) & mask; ids[next] != null; next = (next + 1) & mask) {
            int home = slot(ids[next], mask);
            boolean stays = gap <= next ? gap < home && home <= next : gap < home || home <= next;
            if (!stays) {
                ids[gap] = ids[next];
                positions[gap] = positions[next];
                gap = next;
            }
        }
        ids[gap] = null;
        size--;
        return removed;
    }

    public int size() {
        return size;
    }

    /** The ids, as a read-only view that follows the index's changes. */
    public Set<String> ids() {
        return new AbstractSet<>() {

            @Override
            public boolean contains(Object o) {
                return o instanceof String id && IdIndex.this.contains(id);
            }

            @Override
            public int size() {
                return size;
            }

            @Override
            public Iterator<String> iterator() {
                return new Iterator<>() {

                    private int slot = advance(0);

                    private int advance(int from) {
                        int at = from;
                        while (at < ids.length && ids[at] == null) {
                            at++;
                        }
                        return at;
                    }

                    @Override
                    public boolean hasNext() {
                        return slot < ids.length;
                    }

                    @Override
                    public String next() {
                        if (!hasNext()) {
                            throw new NoSuchElementException();
                        }
                        String id = ids[slot];
                        slot = advance(slot + 1);
                        return id;
                    }
                };
            }
        };
    }

    private int put(String id, int position, boolean replace) {
        if (position < 0) {
            throw new IllegalArgumentException("a position is 0 or more: " + position);
        }
        int mask = ids.length - 1;
        int slot = slot(id, mask);
        while (ids[slot] != null) {
            if (ids[slot].equals(id)) {
                int was = positions[slot];
                if (replace) {
                    positions[slot] = position;
                }
                return was;
            }
            slot = (slot + 1) & mask;
        }
        ids[slot] = id;
        positions[slot] = position;
        if (++size > ids.length / 4 * 3) {
            grow();
        }
        return ABSENT;
    }

    /** The slot holding the id, or -1. */
    private int find(String id) {
        int mask = ids.length - 1;
        for (int slot = slot(id, mask); ids[slot] != null; slot = (slot + 1) & mask) {
            if (ids[slot].equals(id)) {
                return slot;
            }
        }
        return -1;
    }

    /** The id's home slot: its hash code, mixed (Fibonacci hashing), so that similar ids spread. */
    private static int slot(String id, int mask) {
        int h = id.hashCode() * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }

    private void grow() {
        String[] oldIds = ids;
        int[] oldPositions = positions;
        ids = new String[2 * oldIds.length];
        positions = new int[2 * oldIds.length];
        int mask = ids.length - 1;
        for (int i = 0; i < oldIds.length; i++) {
            if (oldIds[i] != null) {
                int slot = slot(oldIds[i], mask);
                while (ids[slot] != null) {
                    slot = (slot + 1) & mask;
                }
                ids[slot] = oldIds[i];
                positions[slot] = oldPositions[i];
            }
        }
    }
}
