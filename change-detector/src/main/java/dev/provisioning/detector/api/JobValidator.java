package dev.provisioning.detector.api;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import dev.provisioning.events.job.AttributeMapping;
import dev.provisioning.events.job.PatchDialect;
import dev.provisioning.events.job.ProvisioningScope;
import dev.provisioning.events.job.ScopingClause;
import dev.provisioning.events.job.ScopingFilter;
import dev.provisioning.events.job.SecureUrls;
import dev.provisioning.events.job.SourceType;

/**
 * Checks a job request and lists every problem with the field it concerns. Plain Java.
 * <p>
 * Limits (characters for strings, entries for lists), each a 400 naming the field: {@code name} {@value #MAX_NAME};
 * URLs {@value SecureUrls#MAX_LENGTH} ({@link SecureUrls}: https, or http to a loopback host when allowed);
 * {@code secretToken} and {@code source.graph.clientSecret} {@value #MAX_SECRET}, without control characters;
 * {@code notificationEmail} {@value #MAX_EMAIL}; {@code source.directoryFile} {@value #MAX_PATH}, an absolute path;
 * {@code userMappings} {@value #MAX_MAPPINGS} mappings, each {@code source} {@value #MAX_EXPRESSION} (an expression's
 * own limit), {@code target} {@value #MAX_ATTRIBUTE} and {@code defaultValue} {@value #MAX_VALUE};
 * {@code userScopingFilters} {@value #MAX_FILTERS} filters of at most {@value #MAX_CLAUSES} clauses, each filter name
 * and clause attribute {@value #MAX_ATTRIBUTE} and clause value {@value #MAX_VALUE}; {@code cycleInterval}
 * {@value #MAX_INTERVAL}. The whole body is limited to {@code quarkus.http.limits.max-body-size} (413).
 */
public final class JobValidator {

    public static final int MAX_NAME = 256;
    public static final int MAX_SECRET = 4096;
    public static final int MAX_EMAIL = 254;
    public static final int MAX_PATH = 4096;
    public static final int MAX_MAPPINGS = 200;
    public static final int MAX_EXPRESSION = 10_000;
    public static final int MAX_ATTRIBUTE = 256;
    public static final int MAX_VALUE = 1024;
    public static final int MAX_FILTERS = 50;
    public static final int MAX_CLAUSES = 100;
    public static final int MAX_INTERVAL = 64;

    /** A practical address check (RFC 5322's full grammar accepts addresses no SMTP relay takes). */
    private static final Pattern EMAIL = Pattern.compile(
            "^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$");
    private JobValidator() {
    }

    /**
     * @param creating true for a new job (the secret token is then required)
     * @param allowInsecureLoopback whether plain http to a loopback host is accepted ({@code detector.allow-insecure-loopback})
     * @param minInterval the shortest {@code cycleInterval} accepted ({@code detector.min-cycle-interval})
     * @return the problems; empty when the request is valid
     */
    public static List<FieldError> validate(JobRequest r, boolean creating, boolean allowInsecureLoopback,
            Duration minInterval) {
        List<FieldError> errors = new ArrayList<>();
        if (r == null) {
            return List.of(new FieldError("body", "a JSON job configuration is required"));
        }
        // on update an absent name, tenant URL or source is the job's own (JobRequest.withCurrent); a blank one is not
        if (blank(r.name()) && (creating || r.name() != null)) {
            errors.add(new FieldError("name", "is required"));
        } else if (r.name() != null) {
            tooLong(errors, "name", r.name(), MAX_NAME);
        }
        if (creating || r.tenantUrl() != null) {
            tenantUrl(errors, r, allowInsecureLoopback);
        }
        if (creating && blank(r.secretToken())) {
            errors.add(new FieldError("secretToken", "is required (Druva's auth token)"));
        }
        secret(errors, "secretToken", r.secretToken());
        if (tooLong(errors, "notificationEmail", r.notificationEmail(), MAX_EMAIL)) {
            // not matched against the pattern
        } else if (r.notificationEmail() != null && !r.notificationEmail().isBlank()
                && !EMAIL.matcher(r.notificationEmail()).matches()) {
            errors.add(new FieldError("notificationEmail",
                    "is not a valid email address: '" + r.notificationEmail() + "'"));
        }
        // on update an absent email is the stored one: checked once merged (JobService)
        if (Boolean.TRUE.equals(r.notifyOnFailure()) && (creating || r.notificationEmail() != null)
                && blank(r.notificationEmail())) {
            errors.add(new FieldError("notificationEmail", "is required when notifyOnFailure is true"));
        }
        if (r.provisioningStatus() != null && !r.provisioningStatus().equalsIgnoreCase("On")
                && !r.provisioningStatus().equalsIgnoreCase("Off")) {
            errors.add(new FieldError("provisioningStatus", "must be On or Off"));
        }
        enumField(errors, "scope", r.scope(), ProvisioningScope.class);
        enumField(errors, "patchDialect", r.patchDialect(), PatchDialect.class);
        if (r.source() == null) {
            if (creating) {
                errors.add(new FieldError("source", "is required"));
            }
        } else if (blank(r.source().type())) {
            errors.add(new FieldError("source.type", "is required"));
        } else if (enumField(errors, "source.type", r.source().type(), SourceType.class)) {
            SourceType type = SourceType.valueOf(r.source().type().toUpperCase(Locale.ROOT));
            if (type == SourceType.DIRECTORY_FILE && blank(r.source().directoryFile())) {
                errors.add(new FieldError("source.directoryFile", "is required for a DIRECTORY_FILE source"));
            } else if (type == SourceType.DIRECTORY_FILE && !absolute(r.source().directoryFile())) {
                // relative to the change-detector's working directory, which the administrator does not know: every
                // cycle failed with "does not exist" after the job was accepted
                errors.add(new FieldError("source.directoryFile", "must be an absolute path (the file as the "
                        + "change-detector sees it), not relative"));
            }
            tooLong(errors, "source.directoryFile", r.source().directoryFile(), MAX_PATH);
            if (type == SourceType.MICROSOFT_GRAPH) {
                if (r.source().graph() == null) {
                    errors.add(new FieldError("source.graph", "is required for a MICROSOFT_GRAPH source"));
                } else {
                    errors.addAll(r.source().graph().validate(creating, allowInsecureLoopback));
                }
            }
        }
        mappings(errors, r.userMappings());
        scopingFilters(errors, r.userScopingFilters());
        if (tooLong(errors, "cycleInterval", r.cycleInterval(), MAX_INTERVAL)) {
            // not parsed
        } else if (r.cycleInterval() != null) {
            try {
                Duration interval = Duration.parse(r.cycleInterval());
                if (interval.compareTo(minInterval) < 0) {
                    errors.add(new FieldError("cycleInterval", "must be at least " + minInterval));
                }
            } catch (DateTimeParseException e) {
                errors.add(new FieldError("cycleInterval", "must be an ISO-8601 duration such as PT40M, got '"
                        + r.cycleInterval() + "'"));
            }
        }
        if (r.deletionThreshold() != null && r.deletionThreshold() < 0) {
            errors.add(new FieldError("deletionThreshold", "must be 0 (off) or more, got " + r.deletionThreshold()));
        }
        if (r.deletionThresholdPercent() != null
                && (r.deletionThresholdPercent() < 0 || r.deletionThresholdPercent() > 100)) {
            errors.add(new FieldError("deletionThresholdPercent",
                    "must be 0 (off) to 100, got " + r.deletionThresholdPercent()));
        }
        return errors;
    }

    /** Checks what a connection test needs: the tenant URL and the secret token. */
    public static List<FieldError> validateConnection(JobRequest r, boolean allowInsecureLoopback) {
        List<FieldError> errors = new ArrayList<>();
        if (r == null) {
            return List.of(new FieldError("body", "a JSON job configuration is required"));
        }
        tenantUrl(errors, r, allowInsecureLoopback);
        if (blank(r.secretToken())) {
            errors.add(new FieldError("secretToken", "is required (Druva's auth token)"));
        }
        secret(errors, "secretToken", r.secretToken());
        return errors;
    }

    /**
     * The rule that keeps a secret with its URL: a change of a URL a secret is sent to must come with the secret, or
     * the stored secret would go to the new host.
     *
     * @param field the secret's field, named in the error ({@code secretToken}, {@code source.graph.clientSecret})
     * @param urlField the URL's field, named in the message
     * @param oldUrl the stored URL (null when none)
     * @param newUrl the requested URL (null when the default applies)
     * @param secret the secret in the request; blank or null when the stored one would be kept
     */
    public static List<FieldError> secretFollowsUrl(String field, String urlField, String oldUrl, String newUrl,
            String secret) {
        if (!blank(secret) || java.util.Objects.equals(normalised(oldUrl), normalised(newUrl))) {
            return List.of();
        }
        return List.of(new FieldError(field, "is required when " + urlField + " changes: the stored secret is never"
                + " sent to a new URL, send it again with the new URL"));
    }

    private static String normalised(String url) {
        if (blank(url)) {
            return null;
        }
        String trimmed = url.trim();
        return trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
    }

    /** A URL field by {@link SecureUrls}'s rule; absent is left to the caller. */
    static void url(List<FieldError> errors, String field, String value, boolean allowInsecureLoopback) {
        if (value != null) {
            SecureUrls.problem(value, allowInsecureLoopback).ifPresent(p -> errors.add(new FieldError(field, p)));
        }
    }

    /**
     * A secret: at most {@value #MAX_SECRET} characters and no control character (CR, LF, tab, ...; any ISO control),
     * which could split a header or a log line. The value is never part of the message.
     */
    static void secret(List<FieldError> errors, String field, String value) {
        if (value == null) {
            return;
        }
        if (value.length() > MAX_SECRET) {
            errors.add(new FieldError(field, "must be at most " + MAX_SECRET + " characters"));
        } else if (value.chars().anyMatch(Character::isISOControl)) {
            errors.add(new FieldError(field, "must not contain control characters (a line break, a tab, ...):"
                    + " copy the secret again without them"));
        }
    }

    /** Adds a problem when {@code value} is longer than {@code max}; true when it did. */
    static boolean tooLong(List<FieldError> errors, String field, String value, int max) {
        if (value != null && value.length() > max) {
            errors.add(new FieldError(field, "must be at most " + max + " characters, got " + value.length()));
            return true;
        }
        return false;
    }

    private static void tenantUrl(List<FieldError> errors, JobRequest r, boolean allowInsecureLoopback) {
        if (blank(r.tenantUrl())) {
            errors.add(new FieldError("tenantUrl", "is required (Druva: https://apis.druva.com/insync/scim)"));
        } else {
            url(errors, "tenantUrl", r.tenantUrl(), allowInsecureLoopback);
        }
    }

    private static void mappings(List<FieldError> errors, List<AttributeMapping> mappings) {
        if (mappings == null) {
            return;
        }
        if (mappings.size() > MAX_MAPPINGS) {
            errors.add(new FieldError("userMappings", "must have at most " + MAX_MAPPINGS + " mappings, got "
                    + mappings.size()));
            return;
        }
        for (int i = 0; i < mappings.size(); i++) {
            AttributeMapping m = mappings.get(i);
            if (m != null) {
                String field = "userMappings[" + i + "].";
                tooLong(errors, field + "source", m.source(), MAX_EXPRESSION);
                tooLong(errors, field + "target", m.target(), MAX_ATTRIBUTE);
                tooLong(errors, field + "defaultValue", m.defaultValue(), MAX_VALUE);
            }
        }
    }

    private static void scopingFilters(List<FieldError> errors, List<ScopingFilter> filters) {
        if (filters == null) {
            return;
        }
        if (filters.size() > MAX_FILTERS) {
            errors.add(new FieldError("userScopingFilters", "must have at most " + MAX_FILTERS + " filters, got "
                    + filters.size()));
            return;
        }
        for (int f = 0; f < filters.size(); f++) {
            ScopingFilter filter = filters.get(f);
            if (filter == null) {
                continue;
            }
            String field = "userScopingFilters[" + f + "]";
            tooLong(errors, field + ".name", filter.name(), MAX_ATTRIBUTE);
            List<ScopingClause> clauses = filter.clauses();
            if (clauses != null && clauses.size() > MAX_CLAUSES) {
                errors.add(new FieldError(field + ".clauses", "must have at most " + MAX_CLAUSES + " clauses, got "
                        + clauses.size()));
            } else if (clauses != null) {
                for (int c = 0; c < clauses.size(); c++) {
                    ScopingClause clause = clauses.get(c);
                    if (clause != null) {
                        tooLong(errors, field + ".clauses[" + c + "].attribute", clause.attribute(), MAX_ATTRIBUTE);
                        tooLong(errors, field + ".clauses[" + c + "].value", clause.value(), MAX_VALUE);
                    }
                }
            }
        }
    }

    private static <E extends Enum<E>> boolean enumField(List<FieldError> errors, String field, String value,
            Class<E> type) {
        if (value == null) {
            return true;
        }
        try {
            Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
            return true;
        } catch (IllegalArgumentException e) {
            List<String> allowed = new ArrayList<>();
            for (E constant : type.getEnumConstants()) {
                allowed.add(constant.name());
            }
            errors.add(new FieldError(field, "must be one of " + allowed + ", got '" + value + "'"));
            return false;
        }
    }

    /** Whether {@code path} is absolute on this machine; a string that is no path at all is not. */
    private static boolean absolute(String path) {
        try {
            return Path.of(path).isAbsolute();
        } catch (InvalidPathException e) {
            return false;
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
