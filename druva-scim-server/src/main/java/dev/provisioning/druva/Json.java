package dev.provisioning.druva;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The shared, thread-safe Jackson mapper. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }
}
