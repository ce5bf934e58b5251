package dev.provisioning.detector.api;

import java.net.URI;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import dev.provisioning.events.job.PatchDialect;
import dev.provisioning.events.job.ProvisioningScope;
import dev.provisioning.events.job.SourceType;

/** Checks a job request and lists every problem with the field it concerns. Plain Java. */
public final class JobValidator {

    /** A practical address check (RFC 5322's full grammar accepts addresses no SMTP relay takes). */
    private static final Pattern EMAIL = Pattern.compile(
            "^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$");
    static final Duration MIN_INTERVAL = Duration.ofSeconds(5);

    private JobValidator() {
    }

    /**
     * @param creating true for a new job (the secret token is then required)
     * @return the problems; empty when the request is valid
     */
    public static List<FieldError> validate(JobRequest r, boolean creating) {
        List<FieldError> errors = new ArrayList<>();
        if (r == null) {
            return List.of(new FieldError("body", "a JSON job configuration is required"));
        }
        if (blank(r.name())) {
            errors.add(new FieldError("name", "is required"));
        } else if (r.name().length() > 256) {
            errors.add(new FieldError("name", "must be at most 256 characters"));
        }
        if (blank(r.tenantUrl())) {
            errors.add(new FieldError("tenantUrl", "is required (Druva: https://apis.druva.com/insync/scim)"));
        } else if (!httpUrl(r.tenantUrl())) {
            errors.add(
                    new FieldError("tenantUrl", "must be an absolute http or https URL, got '" + r.tenantUrl() + "'"));
        }
        if (creating && blank(r.secretToken())) {
            errors.add(new FieldError("secretToken", "is required (Druva's auth token)"));
        }
        if (r.notificationEmail() != null && !r.notificationEmail().isBlank()
                && !EMAIL.matcher(r.notificationEmail()).matches()) {
            errors.add(new FieldError("notificationEmail",
                    "is not a valid email address: '" + r.notificationEmail() + "'"));
        }
        if (Boolean.TRUE.equals(r.notifyOnFailure()) && blank(r.notificationEmail())) {
            errors.add(new FieldError("notificationEmail", "is required when notifyOnFailure is true"));
        }
        if (r.provisioningStatus() != null && !r.provisioningStatus().equalsIgnoreCase("On")
                && !r.provisioningStatus().equalsIgnoreCase("Off")) {
            errors.add(new FieldError("provisioningStatus", "must be On or Off"));
        }
        enumField(errors, "scope", r.scope(), ProvisioningScope.class);
        enumField(errors, "patchDialect", r.patchDialect(), PatchDialect.class);
        if (r.source() == null) {
            errors.add(new FieldError("source", "is required"));
        } else if (blank(r.source().type())) {
            errors.add(new FieldError("source.type", "is required"));
        } else if (enumField(errors, "source.type", r.source().type(), SourceType.class)) {
            SourceType type = SourceType.valueOf(r.source().type().toUpperCase(Locale.ROOT));
            if (type == SourceType.DIRECTORY_FILE && blank(r.source().directoryFile())) {
                errors.add(new FieldError("source.directoryFile", "is required for a DIRECTORY_FILE source"));
            }
            if (type == SourceType.MICROSOFT_GRAPH) {
                if (r.source().graph() == null) {
                    errors.add(new FieldError("source.graph", "is required for a MICROSOFT_GRAPH source"));
                } else {
                    errors.addAll(r.source().graph().validate(creating));
                }
            }
        }
        if (r.cycleInterval() != null) {
            try {
                Duration interval = Duration.parse(r.cycleInterval());
                if (interval.compareTo(MIN_INTERVAL) < 0) {
                    errors.add(new FieldError("cycleInterval", "must be at least " + MIN_INTERVAL));
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
    public static List<FieldError> validateConnection(JobRequest r) {
        List<FieldError> errors = new ArrayList<>();
        if (r == null) {
            return List.of(new FieldError("body", "a JSON job configuration is required"));
        }
        if (blank(r.tenantUrl())) {
            errors.add(new FieldError("tenantUrl", "is required (Druva: https://apis.druva.com/insync/scim)"));
        } else if (!httpUrl(r.tenantUrl())) {
            errors.add(
                    new FieldError("tenantUrl", "must be an absolute http or https URL, got '" + r.tenantUrl() + "'"));
        }
        if (blank(r.secretToken())) {
            errors.add(new FieldError("secretToken", "is required (Druva's auth token)"));
        }
        return errors;
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

    private static boolean httpUrl(String value) {
        try {
            URI uri = URI.create(value);
            return uri.isAbsolute() && uri.getHost() != null
                    && ("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
