package dev.provisioning.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The one JSON codec of the event contracts. Unknown properties are ignored, so a consumer on an older schema
 * version keeps working; nulls are left out.
 */
public final class Json {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    private Json() {
    }

    /** The shared, configured mapper. Do not reconfigure it. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Serialises an event. */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

    /**
     * Decodes a record read from a topic.
     *
     * @throws MalformedEventException naming the type and what was wrong, for the dead-letter topic
     */
    public static <T> T read(String json, Class<T> type) {
        if (json == null || json.isBlank()) {
            throw new MalformedEventException(type.getSimpleName() + ": empty record");
        }
        try {
            T value = MAPPER.readValue(json, type);
            if (value == null) {
                throw new MalformedEventException(type.getSimpleName() + ": record is JSON null");
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new MalformedEventException(type.getSimpleName() + ": " + e.getOriginalMessage()
                    + (e.getLocation() == null
                            ? ""
                            : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()),
                    e);
        }
    }
}
