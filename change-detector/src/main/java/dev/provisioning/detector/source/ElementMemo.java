package dev.provisioning.detector.source;

import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * What one job's last good read of its directory file found, element by element, so that the next read validates and
 * parses only the elements whose bytes changed. Keyed by a 128-bit digest (SHA-256, truncated) of the element's part
 * ({@code users}, {@code groups}, {@code assignments}, {@code appRoles}) and its raw bytes in the file; the value is the
 * element's validated, parsed form ({@link Directory.SourceUser} with {@link CanonicalAttributes},
 * {@link Directory.SourceGroup}, {@link Directory.SourceAssignment}, {@link Directory.AppRole}), which does not depend
 * on where the element is in the file. The read's {@link Directory} holds the same objects, so the users are held
 * once.
 *
 * <p>
 * Bounded by the file: a good read replaces the memo with exactly the elements it saw (the others are dropped); a read
 * that fails leaves it as it was. An entry is a pure function of the element's bytes, so an old or shared memo can
 * make a read slower, never different: the snapshot, not the memo, decides what changed. Held by
 * {@link DirectorySources}, one per job and file path; thread-safe (reads see one published map).
 */
final class ElementMemo {

    /** A 128-bit digest of an element: the first 16 bytes of SHA-256 of its part's ordinal and its bytes. */
    record Key(long high, long low) {
    }

    private final Path file;
    private volatile Map<Key, Object> elements = Map.of();
    private volatile Instant used = Instant.now();

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

    /** The elements of the last good read, read-only. */
    Map<Key, Object> elements() {
        used = Instant.now();
        return elements;
    }

    /** Replaces the memo with the elements of a good read (which the caller no longer changes). */
    void keep(HashMap<Key, Object> seen) {
        elements = seen;
    }

    /** How many elements the memo holds. */
    int size() {
        return elements.size();
    }
}
