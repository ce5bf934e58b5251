package dev.provisioning.detector.source;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import dev.provisioning.events.Json;
import dev.provisioning.events.StorableText;

/**
 * The directory file's published JSON Schema, {@code directory.schema.json} (draft 2020-12, in this service's
 * resources; the README links it), applied with networknt's json-schema-validator. A file is streamed, so the schema
 * is applied in parts: each user, group, assignment and app role against its definition as it is read, and the
 * top-level object (its keys, and the type of each value, arrays left empty) once the file is read. Problems are
 * reported as {@code <JSON pointer>: <what>}, the pointer being the file's (RFC 6901), without the values found.
 */
final class DirectorySchema {

    /** The schema's id, mapped to the classpath. */
    static final String ID = "https://provisioning.dev/schemas/directory.schema.json";
    /** The top-level arrays that are streamed element by element. */
    static final Set<String> ARRAYS = Set.of("users", "groups", "assignments", "appRoles");

    /** A part of the schema. */
    enum Part {
        ROOT(""), USER("#/$defs/user"), GROUP("#/$defs/group"), ASSIGNMENT("#/$defs/assignment"), APP_ROLE(
                "#/$defs/appRole");

        final String fragment;

        Part(String fragment) {
            this.fragment = fragment;
        }

        static Part of(String array) {
            return switch (array) {
                case "users" -> USER;
                case "groups" -> GROUP;
                case "assignments" -> ASSIGNMENT;
                case "appRoles" -> APP_ROLE;
                default -> throw new IllegalArgumentException(array);
            };
        }
    }

    private static final Map<Part, Schema> SCHEMAS = load();

    private DirectorySchema() {
    }

    private static Map<Part, Schema> load() {
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
                builder -> builder.schemaIdResolvers(resolvers -> resolvers
                        .mapPrefix("https://provisioning.dev/schemas/", "classpath:")));
        Map<Part, Schema> schemas = new EnumMap<>(Part.class);
        for (Part part : Part.values()) {
            Schema schema = registry.getSchema(SchemaLocation.of(ID + part.fragment));
            schema.initializeValidators();
            schemas.put(part, schema);
        }
        return schemas;
    }

    /**
     * The problems of one part of a file.
     *
     * @param at the JSON pointer of {@code node} in the file
     */
    static List<String> validate(Part part, JsonNode node, String at) {
        List<Error> errors = SCHEMAS.get(part).validate(Json.write(node), InputFormat.JSON);
        List<String> problems = new ArrayList<>(errors.size());
        for (Error e : errors) {
            String pointer = at + (e.getInstanceLocation() == null ? "" : e.getInstanceLocation().toString());
            String keyword = e.getKeyword() == null ? "" : e.getKeyword();
            String what = switch (keyword) {
                case "additionalProperties" -> "unknown key (not in the directory schema)";
                case "required" -> "is required";
                default -> e.getMessage();
            };
            if (e.getProperty() != null && (keyword.equals("additionalProperties") || keyword.equals("required"))) {
                pointer = pointer + "/" + e.getProperty().replace("~", "~0").replace("/", "~1");
            }
            // a key may hold a NUL character (JSON allows it): the cycle's error is stored in PostgreSQL's text
            problems.add(StorableText.of((pointer.isEmpty() ? "/" : pointer) + ": " + what));
        }
        return problems;
    }
}
