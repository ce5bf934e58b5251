package dev.provisioning.notifier.digest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class DigestComposerTest {

    private static final Instant START = Instant.parse("2026-11-26T10:00:00Z");
    private static final Instant END = START.plus(Duration.ofMinutes(15));

    @Test
    void countsFailuresByErrorCodeMostFrequentFirst() {
        List<FailedObject> failures = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            failures.add(failure(i, "MandatoryFieldsMissing"));
        }
        failures.add(failure(7, "EntryConflict"));
        failures.add(failure(8, "EntryConflict"));
        failures.add(failure(9, null));

        Digest digest = new DigestComposer(100, "[Provisioning]").compose("job-1", "Druva", START, END, failures);

        assertThat(digest.total()).isEqualTo(10);
        assertThat(digest.countsByCode()).containsExactly(
                new Digest.CodeCount("MandatoryFieldsMissing", 7),
                new Digest.CodeCount("EntryConflict", 2),
                new Digest.CodeCount(Digest.UNKNOWN_CODE, 1));
        assertThat(digest.lines()).hasSize(10);
        assertThat(digest.omitted()).isZero();
    }

    @Test
    void listsAtMostMaxLinesButCountsAll() {
        List<FailedObject> failures = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            failures.add(failure(i, i % 2 == 0 ? "MandatoryFieldsMissing" : "EntryConflict"));
        }

        Digest digest = new DigestComposer(100, "[Provisioning]").compose("job-1", "Druva", START, END, failures);

        assertThat(digest.total()).isEqualTo(250);
        assertThat(digest.lines()).hasSize(100).first().extracting(FailedObject::objectId).isEqualTo("object-0");
        assertThat(digest.omitted()).isEqualTo(150);
        assertThat(digest.countsByCode()).containsExactly(
                new Digest.CodeCount("EntryConflict", 125),
                new Digest.CodeCount("MandatoryFieldsMissing", 125));
    }

    @Test
    void subjectNamesTheJobTheTotalAndTheCodes() {
        var composer = new DigestComposer(100, "[Provisioning]");

        assertThat(composer.compose("job-1", "Druva", START, END, List.of(failure(1, "MandatoryFieldsMissing")))
                .subject()).isEqualTo("[Provisioning] Druva (job-1): 1 failure (MandatoryFieldsMissing 1)");
        assertThat(composer.compose("job-2", null, START, END, List.of(failure(1, "A"), failure(2, "B"),
                failure(3, "C"), failure(4, "D"), failure(5, "D"))).subject())
                .isEqualTo("[Provisioning] job-2: 5 failures (D 2, A 1, B 1, ...)");
    }

    @Test
    void digestIdAndMessageIdAreDeterministic() {
        var composer = new DigestComposer(10, "");
        Digest first = composer.compose("job-1", "Druva", START, END, List.of(failure(1, "X")));
        Digest again = composer.compose("job-1", "Druva", START, END, List.of(failure(1, "X"), failure(2, "Y")));

        assertThat(first.digestId()).isEqualTo(again.digestId()).isEqualTo("failures/job-1/2026-11-26T10:00:00Z");
        assertThat(DigestComposer.messageId(first.digestId(), "example.org"))
                .isEqualTo(DigestComposer.messageId(again.digestId(), "example.org"))
                .matches("<digest-[0-9a-f]{32}@example\\.org>");
        assertThat(DigestComposer.messageId(DigestComposer.digestId("job-2", START), "example.org"))
                .isNotEqualTo(DigestComposer.messageId(first.digestId(), "example.org"));
    }

    @Test
    void aDigestNeedsFailuresAndALine() {
        assertThatThrownBy(() -> new DigestComposer(0, "")).hasMessageContaining("notifier.max-lines");
        assertThatThrownBy(() -> new DigestComposer(10, "").compose("job-1", null, START, END, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void objectWithoutDisplayNameIsNamedByItsId() {
        assertThat(new FailedObject("r", "object-1", null, "Create", "X", null, null).name()).isEqualTo("object-1");
    }

    private static FailedObject failure(int i, String code) {
        return new FailedObject("job-1/object-" + i + "/c1/e" + i, "object-" + i, "User " + i, "Create", code,
                "reason " + i, START);
    }
}
