package dev.provisioning.detector.api;

import java.io.IOException;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;

import io.quarkus.jackson.ObjectMapperCustomizer;

/**
 * A member whose name starts with {@code _} (e.g. {@code "_case": "..."}) is a comment in a request body, at any object
 * level (the job, its {@code source}, {@code source.graph}, {@code actions}, each mapping, filter and clause): read
 * and dropped, never stored nor answered back, as the directory file's {@code _} members are
 * ({@code directory.schema.json}'s {@code "patternProperties": {"^_": ...}} on every object). So a field case's job
 * file, which carries its {@code _case} comment, is taken as it is. Every other member the API does not know is still
 * refused with a 400 naming it (rest-conventions' {@code StrictJson}). Applies to the change-detector's request
 * bodies (the jobs API and the console's calls).
 */
@Singleton
public class CommentMembers extends DeserializationProblemHandler implements ObjectMapperCustomizer {

    /** What a comment member's name starts with. */
    static final String PREFIX = "_";

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.addHandler(this);
    }

    @Override
    public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p, JsonDeserializer<?> deserializer,
            Object beanOrClass, String propertyName) throws IOException {
        if (propertyName == null || !propertyName.startsWith(PREFIX)) {
            return false;
        }
        // the value (a string, or any JSON value) is skipped whole
        p.skipChildren();
        return true;
    }
}
