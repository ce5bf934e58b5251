package dev.provisioning.demo;

import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.provisioning.localstack.LocalSmtp;

/** The notifier's failure digests as the end-to-end tests read them. */
final class Digests {

    /** A digest's subject: {@code [Provisioning] <job name> (<job id>): 15 failures (MandatoryFieldsMissing 15)}. */
    private static final Pattern FAILURE_COUNT = Pattern.compile(": (\\d+) failures? \\(");

    private Digests() {
    }

    /**
     * The failures the digests counted, added up: the failures of one cycle may be split over two digest windows
     * (a window starts when its first failure is received), so a test counts them all rather than one email's.
     */
    static int failuresCounted(Collection<LocalSmtp.Mail> digests) {
        return digests.stream().map(mail -> FAILURE_COUNT.matcher(mail.subject())).filter(Matcher::find)
                .mapToInt(count -> Integer.parseInt(count.group(1))).sum();
    }
}
