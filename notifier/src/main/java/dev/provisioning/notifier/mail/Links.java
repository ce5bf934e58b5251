package dev.provisioning.notifier.mail;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Links from the emails to the provisioning API ({@code notifier.logs-base-url}): a job's failed provisioning logs and
 * its status. Without a base URL there are no links (every method returns null). Plain Java.
 */
public final class Links {

    private final String base;

    public Links(Optional<String> baseUrl) {
        this.base = baseUrl.map(String::strip).filter(b -> !b.isEmpty()).map(Links::withoutTrailingSlash).orElse(null);
    }

    /** {@code <base>/jobs/<id>/logs?status=Failure}, or null. */
    public String failureLogs(String jobId) {
        return base == null ? null : base + "/jobs/" + encode(jobId) + "/logs?status=Failure";
    }

    /** {@code <base>/jobs/<id>/status}, or null. */
    public String status(String jobId) {
        return base == null ? null : base + "/jobs/" + encode(jobId) + "/status";
    }

    private static String encode(String jobId) {
        return URLEncoder.encode(jobId, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String withoutTrailingSlash(String url) {
        String u = url;
        while (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        return u;
    }
}
