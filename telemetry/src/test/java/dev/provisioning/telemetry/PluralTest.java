package dev.provisioning.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A count and its noun as a person reads them: the singular for exactly one. */
class PluralTest {

    @Test
    void oneIsSingularEveryOtherCountPlural() {
        assertThat(Plural.of(1, "member")).isEqualTo("1 member");
        assertThat(Plural.of(0, "member")).isEqualTo("0 members");
        assertThat(Plural.of(2, "member")).isEqualTo("2 members");
        assertThat(Plural.of(1, "entry", "entries")).isEqualTo("1 entry");
        assertThat(Plural.of(3, "entry", "entries")).isEqualTo("3 entries");
        assertThat(Plural.noun(1, "has", "have")).isEqualTo("has");
    }
}
