package dev.provisioning.detector.api;

/** One problem with a request, naming the field. */
public record FieldError(String field, String message) {
}
