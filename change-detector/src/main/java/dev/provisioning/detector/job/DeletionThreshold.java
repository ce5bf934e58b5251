package dev.provisioning.detector.job;

import java.util.Locale;
import java.util.Optional;

/**
 * A job's accidental-deletion settings: how many disables and deletes one cycle may send before they are all held
 * (Entra's accidental deletions threshold, a count; its documented example is 500), and what share of the objects the
 * job manages in Druva they may reach (Okta's import safeguard, 20 % by default, for apps with more than
 * {@value #SHARE_MIN_MANAGED} users). Whichever trips first holds the cycle's disables and deletes. 0 turns either
 * off.
 *
 * @param count disables + deletes allowed in one cycle; 0 off
 * @param percent share of the managed objects, 0 to 100, that one cycle may disable or delete; 0 off
 */
public record DeletionThreshold(int count, int percent) {

    /** The count Entra documents as its example (accidental-deletions.md). */
    public static final int DEFAULT_COUNT = 500;
    /** Okta's default import safeguard (usgp-import-safeguard). */
    public static final int DEFAULT_PERCENT = 20;
    /** On by default: both limits. */
    public static final DeletionThreshold DEFAULT = new DeletionThreshold(DEFAULT_COUNT, DEFAULT_PERCENT);
    /**
     * The share applies to jobs that manage more than this many objects (Okta: "apps in your org with more than 100
     * users"): in a small job one removal is already a large share.
     */
    public static final int SHARE_MIN_MANAGED = 100;

    public DeletionThreshold {
        if (count < 0) {
            throw new IllegalArgumentException("the deletion threshold must be 0 (off) or more, got " + count);
        }
        if (percent < 0 || percent > 100) {
            throw new IllegalArgumentException("the deletion threshold share must be 0 (off) to 100, got " + percent);
        }
    }

    /** The settings a request asks for: a null keeps the default (on create) of that limit. */
    public static DeletionThreshold of(Integer count, Integer percent) {
        return new DeletionThreshold(count == null ? DEFAULT_COUNT : count,
                percent == null ? DEFAULT_PERCENT : percent);
    }

    /** These settings with the non-null values changed (an update that sends only one of them keeps the other). */
    public DeletionThreshold with(Integer count, Integer percent) {
        return new DeletionThreshold(count == null ? this.count : count, percent == null ? this.percent : percent);
    }

    public boolean off() {
        return count == 0 && percent == 0;
    }

    /**
     * Whether {@code removals} disables and deletes in one cycle, of a job that manages {@code managed} objects, trip
     * the threshold; the sentence for the administrator when they do.
     */
    public Optional<String> tripped(int removals, int managed) {
        if (count > 0 && removals > count) {
            return Optional.of(removals + " disables and deletes in this cycle exceed the deletion threshold of "
                    + count);
        }
        if (percent > 0 && managed > SHARE_MIN_MANAGED && (long) removals * 100 > (long) percent * managed) {
            return Optional.of(removals + " disables and deletes in this cycle, "
                    + String.format(Locale.ROOT, "%.1f", removals * 100.0 / managed) + " % of the " + managed
                    + " objects the job manages, exceed the deletion threshold of " + percent + " %");
        }
        return Optional.empty();
    }
}
