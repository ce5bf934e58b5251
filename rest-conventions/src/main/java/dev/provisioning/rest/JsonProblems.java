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
import com.fasterxml.jackson.core.exc.StreamReadException;
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
        StreamReadException malformed = malformedCause(e);
        if (malformed != null) {
            return malformed(e, malformed);
        }
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
        return malformed(e, e);
    }

    /** The parser's own complaint (the body is not JSON), however deep databind wrapped it. */
    private static StreamReadException malformedCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof StreamReadException read) {
                return read;
            }
        }
        return null;
    }

    /** Malformed JSON: where (line, column and the field, from databind's path or the parser's context) and why. */
    private static Problem malformed(JsonProcessingException e, JsonProcessingException cause) {
        String where = position(cause.getLocation() != null ? cause.getLocation() : e.getLocation());
        String detail = "The request body is not valid JSON" + where + ": " + syntax(cause);
        String field = null;
        String pointer = null;
        // databind's path may stop at the enclosing property (a record is read as a whole); the parser stopped exactly
        // where the JSON broke: the deeper of the two names the field
        if (e instanceof JsonMappingException mapping && mapping.getPath() != null && !mapping.getPath().isEmpty()) {
            String[] named = name(mapping.getPath());
            field = named[0];
            pointer = named[1];
        }
        if (cause.getProcessor() instanceof JsonParser parser && parser.getParsingContext() != null) {
            JsonPointer context = parser.getParsingContext().pathAsPointer();
            if (!context.matches() && (pointer == null || context.toString().length() > pointer.length())) {
                field = fieldName(context);
                pointer = context.toString();
            }
        }
        if (field == null || field.isEmpty()) {
            return Problem.badRequest(detail, List.of());
        }
        return Problem.badRequest(detail,
                List.of(new Problem.FieldProblem(field, pointer, "is not valid JSON" + where)));
    }

    private static Problem field(List<JsonMappingException.Reference> path, String message, String detail) {
        if (path == null || path.isEmpty()) {
            return Problem.badRequest(detail + ": the body " + message, List.of());
        }
        String[] named = name(path);
        return Problem.badRequest(detail + ": " + named[0] + " " + message,
                List.of(new Problem.FieldProblem(named[0], named[1], message)));
    }

    /** The field as the APIs name it ({@code userMappings[1].source}) and as a JSON Pointer. */
    private static String[] name(List<JsonMappingException.Reference> path) {
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
        return new String[]{field.toString(), pointer.toString()};
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
