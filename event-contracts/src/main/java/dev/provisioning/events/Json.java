package dev.provisioning.events;

import java.io.IOException;

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
            return notNull(MAPPER.readValue(json, type), type);
        } catch (JsonProcessingException e) {
            throw malformed(e, type);
        }
    }

    /**
     * Decodes a record read from a topic as it came, its UTF-8 bytes: Jackson's byte parser, without the record
     * decoded to a {@code String} first and parsed char by char (issue 13: the scim-writer's operations).
     *
     * @throws MalformedEventException naming the type and what was wrong, for the dead-letter topic (as
     *         {@link #read(String, Class)}: an empty or blank record, JSON null, a syntax or type error)
     */
    public static <T> T read(byte[] json, Class<T> type) {
        if (json == null || isBlank(json)) {
            throw new MalformedEventException(type.getSimpleName() + ": empty record");
        }
        try {
            return notNull(MAPPER.readValue(json, type), type);
        } catch (JsonProcessingException e) {
            throw malformed(e, type);
        } catch (IOException e) {
            throw new MalformedEventException(type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    private static <T> T notNull(T value, Class<T> type) {
        if (value == null) {
            throw new MalformedEventException(type.getSimpleName() + ": record is JSON null");
        }
        return value;
    }

    private static MalformedEventException malformed(JsonProcessingException e, Class<?> type) {
        return new MalformedEventException(type.getSimpleName() + ": " + e.getOriginalMessage()
                + (e.getLocation() == null
                        ? ""
                        : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()),
                e);
    }

    /** Whether the bytes are only whitespace ({@link String#isBlank()}'s ASCII part: what JSON allows around a value). */
    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r' && b != '\f' && b != 0x0B && b != 0x1C && b != 0x1D
                    && b != 0x1E && b != 0x1F) {
                return false;
            }
        }
        return true;
    }
}
