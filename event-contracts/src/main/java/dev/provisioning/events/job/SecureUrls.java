package dev.provisioning.events.job;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/**
 * The rule for every URL a secret travels to (a job's tenant URL, a Graph source's authority and Graph URLs): an
 * absolute {@code https} URL with a host and no user info, query or fragment. Plain {@code http} is accepted only for a
 * loopback host ({@code localhost}, {@code 127.0.0.0/8}, {@code ::1}) and only when the service's setting allows it
 * ({@code detector.allow-insecure-loopback}, {@code writer.allow-insecure-loopback}; false by default, true in the run command
 * and the tests, whose SCIM and Graph servers listen on loopback without TLS). Names are never resolved: a loopback host
 * is recognised by its text alone. Plain Java, shared by the change-detector (the API refuses such a job) and the
 * scim-writer (its connection test refuses such a URL).
 */
public final class SecureUrls {

    /** Longest URL accepted (characters); longer ones are refused before they are parsed. */
    public static final int MAX_LENGTH = 2048;

    private SecureUrls() {
    }

    /**
     * Why {@code value} is not an acceptable URL for a secret, in a sentence that does not repeat it; empty when it is
     * acceptable.
     *
     * @param value the URL as sent (surrounding whitespace is ignored)
     * @param allowInsecureLoopback whether plain http to a loopback host is allowed
     */
    public static Optional<String> problem(String value, boolean allowInsecureLoopback) {
        if (value == null || value.isBlank()) {
            return Optional.of("is required");
        }
        if (value.length() > MAX_LENGTH) {
            return Optional.of("must be at most " + MAX_LENGTH + " characters");
        }
        URI uri;
        try {
            uri = new URI(value.trim());
        } catch (URISyntaxException e) {
            return Optional.of("must be an absolute https URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
            return Optional.of("must be an absolute https URL");
        }
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            return Optional.of("must not have user info, a query or a fragment");
        }
        if (scheme.equals("http")) {
            if (!isLoopback(uri.getHost())) {
                return Optional.of("must use https: the secret would travel unencrypted (plain http is allowed only"
                        + " for a loopback host, and only when the service allows it)");
            }
            if (!allowInsecureLoopback) {
                return Optional.of("must use https: plain http to a loopback host is not allowed by this service's"
                        + " settings (allow-insecure-loopback)");
            }
        }
        return Optional.empty();
    }

    /** Whether the host names this machine: {@code localhost}, an address in {@code 127.0.0.0/8}, or {@code ::1}. */
    static boolean isLoopback(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.equals("localhost")) {
            return true;
        }
        if (h.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            String[] octets = h.split("\\.");
            for (String octet : octets) {
                if (Integer.parseInt(octet) > 255) {
                    return false;
                }
            }
            return octets[0].equals("127");
        }
        if (h.startsWith("[") && h.endsWith("]") && h.matches("\\[[0-9a-f:.]+]")) {
            try {
                // an IPv6 literal is parsed, never looked up
                return InetAddress.getByName(h.substring(1, h.length() - 1)).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }
        return false; // a name other than localhost is never resolved here
    }
}
