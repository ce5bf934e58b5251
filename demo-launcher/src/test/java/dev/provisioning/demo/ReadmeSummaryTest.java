package dev.provisioning.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.provisioning.events.Json;

/**
 * The README's expected summary of the demo (the paragraph "Expected summary for the demo directory ...") against the
 * demo directory's own expectations ({@link DemoDirectoryExpectations}, worked out from the shipped file), so the two
 * cannot drift apart again (issue 14 item 9: the README named the skipped Default Access group "All Staff"; in the
 * directory it is "Contractors"). No running system.
 */
class ReadmeSummaryTest {

    @Test
    void theReadmesExpectedSummaryIsTheDemoDirectorysOwn(@TempDir Path work) throws IOException {
        Path directory = DemoLauncher.extractDemoDirectory(work.resolve("directory.json"));
        DemoDirectoryExpectations expected = DemoDirectoryExpectations.of(directory);
        JsonNode root = Json.mapper().readTree(directory.toFile());
        String summary = expectedSummary(Files.readString(LocalSystem.findHome().resolve("README.md")));

        Matcher sizes = find(summary, "\\((\\d+) users, (\\d+) groups of which (\\d+) are assigned\\)");
        assertThat(sizes.group(1)).as("users").isEqualTo(String.valueOf(root.path("users").size()));
        assertThat(sizes.group(2)).as("groups").isEqualTo(String.valueOf(root.path("groups").size()));
        assertThat(sizes.group(3)).as("assigned groups")
                .isEqualTo(String.valueOf(expected.groups().size() + expected.skippedGroups().size()));

        Matcher created = find(summary, "created (\\d+) \\((\\d+) users and (\\d+) groups\\)");
        assertThat(created.group(1)).as("created").isEqualTo(String.valueOf(expected.createdObjects()));
        assertThat(created.group(2)).as("users created").isEqualTo(String.valueOf(expected.created().size()));
        assertThat(created.group(3)).as("groups created").isEqualTo(String.valueOf(expected.groups().size()));

        Matcher skipped = find(summary, "skipped (\\d+) \\((\\d+) users with only Default Access, (\\d+) disabled"
                + " users, and the \"([^\"]+)\" group, assigned only with Default Access\\)");
        assertThat(skipped.group(1)).as("skipped").isEqualTo(String.valueOf(expected.skippedObjects()));
        assertThat(skipped.group(2)).as("users with only Default Access")
                .isEqualTo(String.valueOf(expected.notEntitled().size()));
        assertThat(skipped.group(3)).as("disabled users").isEqualTo(String.valueOf(expected.disabled().size()));
        assertThat(expected.skippedGroups()).as("the skipped group").containsExactly(skipped.group(4));

        Matcher failed = find(summary, "failed (\\d+) \\(no email: `MandatoryFieldsMissing`\\)");
        assertThat(failed.group(1)).as("failed").isEqualTo(String.valueOf(expected.failedWithoutMail().size()));
        assertThat(find(summary, "digest email to `[^`]+` listing the (\\d+)").group(1)).as("users in the digest")
                .isEqualTo(String.valueOf(expected.failedWithoutMail().size()));

        Matcher druva = find(summary, "Druva then holds (\\d+) users and (\\d+) groups");
        assertThat(druva.group(1)).as("users in Druva").isEqualTo(String.valueOf(expected.created().size()));
        assertThat(druva.group(2)).as("groups in Druva").isEqualTo(String.valueOf(expected.groups().size()));
    }

    /** The README's paragraph that starts with "Expected summary for the demo directory", on one line. */
    private static String expectedSummary(String readme) {
        int start = readme.indexOf("Expected summary for the demo directory");
        assertThat(start).as("the README's expected summary paragraph").isNotNegative();
        int end = readme.indexOf("\n\n", start);
        return readme.substring(start, end < 0 ? readme.length() : end).replaceAll("\\s+", " ");
    }

    private static Matcher find(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("the README's summary says %s", regex).isTrue();
        return m;
    }
}
