package dev.provisioning.detector.source;

import java.nio.file.Path;
import java.time.Instant;

/**
 * What one job's last good read of its directory file found, element by element, so that the next read validates and
 * parses only the elements whose bytes changed. Keyed by a 128-bit digest (SHA-256, truncated) of the element's part
 * ({@code users}, {@code groups}, {@code assignments}, {@code appRoles}) and its raw bytes in the file; the value is the
 * element's validated, parsed form ({@link Directory.SourceUser} with {@link CanonicalAttributes},
 * {@link Directory.SourceGroup}, {@link Directory.SourceAssignment}, {@link Directory.AppRole}; wrapped in a
 * {@link DirectoryFileSource.Replaced} when a NUL character in it was replaced, so a read that reuses it reports that
 * again), which does not depend on where the element is in the file. The read's {@link Directory} holds the same
 * objects, so the users are held once.
 *
 * <p>
 * Bounded by the file: a good read replaces the memo with exactly the elements it saw (the others are dropped), and
 * keeps itself as a whole ({@link LastRead}: the lists of the same elements); a read that fails leaves both as they
 * were. An entry is a pure function of the element's bytes, so an old or shared memo can
 * make a read slower, never different: the snapshot, not the memo, decides what changed. Held by
 * {@link DirectorySources}, one per job and file path; thread-safe (reads see one published table, never changed once
 * published).
 */
final class ElementMemo {

    private final Path file;
    private volatile Elements elements = new Elements(0);
    private volatile LastRead last;
    private volatile Instant used = Instant.now();

    /**
     * The last good read as a whole: the file's version and content checksum it read, and the directory it gave. A
     * read that finds the same version and the same checksum gives this directory again without parsing anything
     * ({@code DirectoryFileSource}): a read is a function of the file's bytes.
     *
     * @param version the file's version looked at just before the read
     * @param checksum CRC32C of every byte the read took from the file (as {@link java.util.zip.CRC32C#getValue})
     * @param directory what the read gave
     */
    record LastRead(DirectoryFileSource.Version version, long checksum, Directory directory) {
    }

    ElementMemo(Path file) {
        this.file = file;
    }

    /** The path (as the job names it) this memo was made for. */
    Path file() {
        return file;
    }

    /** When a read last used this memo. */
    Instant used() {
        return used;
    }

    /** The elements of the last good read, not to be changed. */
    Elements elements() {
        used = Instant.now();
        return elements;
    }

    /** Replaces the memo with the elements of a good read (which the caller no longer changes). */
    void keep(Elements seen) {
        elements = seen;
    }

    /** The last good read as a whole, or null (none yet, or it was read in a way that keeps none). */
    LastRead lastRead() {
        used = Instant.now();
        return last;
    }

    /** Keeps a good read as a whole ({@link LastRead}); null keeps none. */
    void keep(LastRead read) {
        last = read;
    }

    /** How many elements the memo holds. */
    int size() {
        return elements.size();
    }

    /**
     * Elements by their 128-bit digest (the first 16 bytes of SHA-256 of the element's part's ordinal and its bytes,
     * as two longs, big-endian): an open-addressing table of the digests in one {@code long[]} and the elements in one
     * {@code Object[]}, about 30 bytes an element where a {@code HashMap} with a key object per element took about 70
     * (issue 13: 147,000 elements at 100,000 users, rebuilt at every read). Not thread-safe: filled by one read, then
     * only read.
     */
    static final class Elements {

        /** The digests: slot {@code i} at {@code 2i} (high) and {@code 2i + 1} (low). */
        private long[] digests;
        /** The elements; null marks an empty slot (an element is never null). */
        private Object[] values;
        private int size;

        /** An empty table for about {@code expected} elements (it grows past them). */
        Elements(int expected) {
            int slots = Integer.highestOneBit(Math.max(16, expected + expected / 3) - 1) << 1;
            digests = new long[2 * slots];
            values = new Object[slots];
        }

        /** The element with this digest, or null. */
        Object get(long high, long low) {
            int mask = values.length - 1;
            for (int slot = slot(high, low, mask); values[slot] != null; slot = (slot + 1) & mask) {
                if (digests[2 * slot] == high && digests[2 * slot + 1] == low) {
                    return values[slot];
                }
            }
            return null;
        }

        /** Adds or replaces the element with this digest. */
        void put(long high, long low, Object element) {
            if (element == null) {
                throw new IllegalArgumentException("an element is never null");
            }
            int mask = values.length - 1;
            int slot = slot(high, low, mask);
            while (values[slot] != null) {
                if (digests[2 * slot] == high && digests[2 * slot + 1] == low) {
                    values[slot] = element;
                    return;
                }
                slot = (slot + 1) & mask;
            }
            digests[2 * slot] = high;
            digests[2 * slot + 1] = low;
            values[slot] = element;
            if (++size > values.length / 4 * 3) {
                grow();
            }
        }

        int size() {
            return size;
        }

        /** The digest's bits are uniform (SHA-256): its low bits pick the slot. */
        private static int slot(long high, long low, int mask) {
            return (int) (high ^ low) & mask;
        }

        private void grow() {
            long[] oldDigests = digests;
            Object[] oldValues = values;
            digests = new long[2 * oldDigests.length];
            values = new Object[2 * oldValues.length];
            int mask = values.length - 1;
            for (int i = 0; i < oldValues.length; i++) {
                if (oldValues[i] != null) {
                    int slot = slot(oldDigests[2 * i], oldDigests[2 * i + 1], mask);
                    while (values[slot] != null) {
                        slot = (slot + 1) & mask;
                    }
                    digests[2 * slot] = oldDigests[2 * i];
                    digests[2 * slot + 1] = oldDigests[2 * i + 1];
                    values[slot] = oldValues[i];
                }
            }
        }
    }
}
