package dev.provisioning.rest;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Turns Jackson's refusal of a request body into a {@link Problem} that names the field (as the APIs' validation errors
 * do, and as a JSON Pointer) and says what was expected, in JSON's terms rather than Java's. Never echoes a value from
 * the body (it may be a secret). Plain Java.
 */
public final class JsonProblems {

    private JsonProblems() {
    }

    /** The problem for a body Jackson could not read: malformed JSON, a wrong type, an unknown field. */
    public static Problem of(JsonProcessingException e) {
        if (e instanceof UnrecognizedPropertyException unknown) {
            return field(unknown.getPath(), "is not a known field"
                    + (unknown.getKnownPropertyIds() == null || unknown.getKnownPropertyIds().isEmpty()
                            ? ""
                            : " (known: " + known(unknown.getKnownPropertyIds()) + ")"),
                    "The request body has a field this API does not know");
        }
        if (e instanceof InvalidFormatException invalid) {
            return field(invalid.getPath(), "must be " + expected(invalid.getTargetType()),
                    "A field of the request body has the wrong type or format");
        }
        if (e instanceof MismatchedInputException mismatched) {
            return field(mismatched.getPath(), "must be " + expected(mismatched.getTargetType()),
                    "A field of the request body has the wrong type");
        }
        if (e instanceof JsonMappingException mapping) {
            // e.g. a value a record's constructor refused: the path still names the field
            return field(mapping.getPath(), "is not a valid value", "A field of the request body has an invalid value");
        }
        // malformed JSON: the parser's context says where it was (field and position)
        String where = position(e.getLocation());
        Object processor = e.getProcessor();
        JsonPointer pointer = processor instanceof JsonParser parser && parser.getParsingContext() != null
                ? parser.getParsingContext().pathAsPointer()
                : JsonPointer.empty();
        String detail = "The request body is not valid JSON" + where + ": " + syntax(e);
        if (pointer.matches()) {
            return Problem.badRequest(detail, List.of());
        }
        return Problem.badRequest(detail,
                List.of(new Problem.FieldProblem(fieldName(pointer), pointer.toString(), "is not valid JSON" + where)));
    }

    private static Problem field(List<JsonMappingException.Reference> path, String message, String detail) {
        if (path == null || path.isEmpty()) {
            return Problem.badRequest(detail + ": the body " + message, List.of());
        }
        StringBuilder field = new StringBuilder();
        StringBuilder pointer = new StringBuilder();
        for (JsonMappingException.Reference ref : path) {
            if (ref.getFieldName() != null) {
                if (!field.isEmpty()) {
                    field.append('.');
                }
                field.append(ref.getFieldName());
                pointer.append('/').append(escape(ref.getFieldName()));
            } else if (ref.getIndex() >= 0) {
                field.append('[').append(ref.getIndex()).append(']');
                pointer.append('/').append(ref.getIndex());
            }
        }
        return Problem.badRequest(detail + ": " + field + " " + message,
                List.of(new Problem.FieldProblem(field.toString(), pointer.toString(), message)));
    }

    /** {@code source.graph.clientId} / {@code userMappings[1].source} from a JSON Pointer. */
    private static String fieldName(JsonPointer pointer) {
        StringBuilder field = new StringBuilder();
        for (JsonPointer p = pointer; p != null && !p.matches(); p = p.tail()) {
            if (p.mayMatchElement()) {
                field.append('[').append(p.getMatchingIndex()).append(']');
            } else {
                if (!field.isEmpty()) {
                    field.append('.');
                }
                field.append(p.getMatchingProperty());
            }
        }
        return field.toString();
    }

    /** What a Java type reads from, in JSON's words. */
    static String expected(Class<?> type) {
        if (type == null) {
            return "of another type";
        }
        if (type == String.class || type == Character.class || type == char.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class
                || type == Short.class || type == short.class || type == BigInteger.class) {
            return "an integer";
        }
        if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class
                || type == BigDecimal.class) {
            return "a number";
        }
        if (type.isEnum()) {
            return "one of " + known(List.of(type.getEnumConstants()));
        }
        if (type.isArray() || Collection.class.isAssignableFrom(type)) {
            return "an array";
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord() || !type.getName().startsWith("java.")) {
            return "an object";
        }
        return "of another type";
    }

    private static String known(Collection<?> values) {
        return String.join(", ", values.stream().map(String::valueOf).sorted().toList());
    }

    private static String position(JsonLocation location) {
        return location == null || location.getLineNr() < 0
                ? ""
                : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /** The parser's complaint without the location and source excerpt it appends (the body is not echoed). */
    private static String syntax(JsonProcessingException e) {
        String message = e.getOriginalMessage() == null ? "unexpected input" : e.getOriginalMessage();
        // "Unexpected character ('x' (code 120)): ..." names the character, which is harmless; a quoted token is not
        int quote = message.indexOf(" token '");
        return quote < 0 ? message : message.substring(0, quote) + " token";
    }

    private static String escape(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }
}
