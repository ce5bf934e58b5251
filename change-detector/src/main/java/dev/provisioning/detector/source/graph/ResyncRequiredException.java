package dev.provisioning.detector.source.graph;

/** Graph no longer knows a delta token (410 Gone, {@code syncStateNotFound}): a full synchronization must follow. */
final class ResyncRequiredException extends RuntimeException {

    ResyncRequiredException(String message) {
        super(message, null, false, false);
    }
}
