package dev.provisioning.writer.scim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.provisioning.events.Json;
import dev.provisioning.events.job.PatchDialect;

/**
 * How one PATCH dialect writes the operations of a SCIM {@code PatchOp} (RFC 7644 section 3.5.2). Two dialects exist
 * (Microsoft Learn, entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility.md,
 * "Flags to alter the SCIM behavior"):
 * <ul>
 * <li>{@link #ENTRA}, Entra's default: capitalised ops ({@code Replace}, {@code Add}, {@code Remove}), booleans as the
 * strings {@code "True"} / {@code "False"}, one operation with a {@code path} per attribute, members added and
 * removed with a {@code value} array on the path {@code members}.</li>
 * <li>{@link #RFC_STRICT}, what Entra sends with the tenant URL flag {@code aadOptscim062020}: lower-case ops, JSON
 * booleans, several attributes replaced by one operation without a path whose value holds them, and each member
 * removed by {@code {"op":"remove","path":"members[value eq \"id\"]"}} without a value (RFC 7644 section
 * 3.5.2.2).</li>
 * </ul>
 * The operations are built here and nowhere else; {@link UserRequests} and {@link GroupRequests} wrap them in the
 * PatchOp body. Plain Java.
 */
public interface PatchStyle {

    /** The op name as this dialect writes it, from the capitalised form ({@code Replace}, {@code Add}). */
    default String op(String op) {
        return op;
    }

    /** A value as this dialect writes it. */
    default Object value(Object value) {
        return value;
    }

    /**
     * The operations of a user PATCH: one per change, with its path; {@code Add} for an attribute the target does not
     * hold yet (its last known value is null), {@code Replace} otherwise (the doc's "Requests made to add a single-value
     * string attribute" and "Requests to replace multiple attributes", without the flag).
     */
    default List<ObjectNode> userOperations(List<AttributeChange> changes) {
        List<ObjectNode> operations = new ArrayList<>();
        for (AttributeChange change : changes) {
            operations.add(operation(op(kindOf(change)), change.path(), value(change.newValue())));
        }
        return operations;
    }

    /** The operations that add these members (Druva user ids) to a group: one {@code Add} with a value array. */
    default List<ObjectNode> memberAdditions(List<String> userIds) {
        return List.of(operation(op("Add"), "members", members(userIds)));
    }

    /**
     * The operations that remove these members from a group: one {@code Remove} on {@code members} with a value array
     * (the doc's "Requests made to remove a group member", without the flag).
     */
    default List<ObjectNode> memberRemovals(List<String> userIds) {
        return List.of(operation(op("Remove"), "members", members(userIds)));
    }

    /** Entra's default dialect. */
    PatchStyle ENTRA = new PatchStyle() {
        @Override
        public Object value(Object value) {
            return value instanceof Boolean b ? (b ? "True" : "False") : value;
        }
    };

    /** RFC 7644 as Entra sends it with {@code aadOptscim062020}. */
    PatchStyle RFC_STRICT = new PatchStyle() {
        @Override
        public String op(String op) {
            return op.toLowerCase(Locale.ROOT);
        }

        /**
         * Per op ({@code add}, {@code replace}): value-filtered paths such as {@code emails[type eq "work"].value}, which
         * cannot be keys of a value object, keep an operation of their own with their path; the other attributes go
         * into one operation without a path whose value maps each path to its value, or, when there is one, into an
         * operation with its path (the doc's examples with the flag: "Requests to replace multiple attributes", and the
         * disable and single-attribute requests).
         */
        @Override
        public List<ObjectNode> userOperations(List<AttributeChange> changes) {
            Map<String, List<AttributeChange>> byKind = new LinkedHashMap<>();
            for (AttributeChange change : changes) {
                byKind.computeIfAbsent(op(kindOf(change)), k -> new ArrayList<>()).add(change);
            }
            List<ObjectNode> operations = new ArrayList<>();
            byKind.forEach((kind, ofKind) -> {
                List<AttributeChange> plain = new ArrayList<>();
                for (AttributeChange change : ofKind) {
                    if (change.path().contains("[")) {
                        operations.add(operation(kind, change.path(), value(change.newValue())));
                    } else {
                        plain.add(change);
                    }
                }
                if (plain.size() == 1) {
                    operations.add(operation(kind, plain.get(0).path(), value(plain.get(0).newValue())));
                } else if (plain.size() > 1) {
                    ObjectNode together = Json.mapper().createObjectNode();
                    plain.forEach(change -> together.set(change.path(),
                            Json.mapper().valueToTree(value(change.newValue()))));
                    ObjectNode operation = Json.mapper().createObjectNode();
                    operation.put("op", kind);
                    operation.set("value", together);
                    operations.add(operation);
                }
            });
            return operations;
        }

        /** One {@code remove} per member, on the path {@code members[value eq "id"]}, without a value. */
        @Override
        public List<ObjectNode> memberRemovals(List<String> userIds) {
            List<ObjectNode> operations = new ArrayList<>();
            for (String id : userIds) {
                ObjectNode operation = Json.mapper().createObjectNode();
                operation.put("op", op("Remove"));
                operation.put("path", "members[value eq \"" + UserRequests.escape(id) + "\"]");
                operations.add(operation);
            }
            return operations;
        }
    };

    static PatchStyle of(PatchDialect dialect) {
        return dialect == PatchDialect.RFC_STRICT ? RFC_STRICT : ENTRA;
    }

    /** {@code Add} when the target holds no value yet, else {@code Replace} (capitalised). */
    private static String kindOf(AttributeChange change) {
        return change.oldValue() == null ? "Add" : "Replace";
    }

    /** {@code {"op": op, "path": path, "value": value}}. */
    private static ObjectNode operation(String op, String path, Object value) {
        ObjectNode operation = Json.mapper().createObjectNode();
        operation.put("op", op);
        operation.put("path", path);
        operation.set("value", Json.mapper().valueToTree(value));
        return operation;
    }

    /** {@code [{"value": id}, ...]}. */
    private static List<Map<String, String>> members(List<String> userIds) {
        return userIds.stream().map(id -> Map.of("value", id)).toList();
    }
}
