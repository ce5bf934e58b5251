package dev.provisioning.detector.persistence;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.StringJoiner;

import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Many rows as one statement's parameters (issue 13): one array per column, which {@code unnest} turns back into rows
 * in the statement ({@code INSERT ... SELECT ... FROM unnest(...)}): one statement, one round trip and one plan for a
 * whole batch, instead of one statement per row. The columns' types are said once, as PostgreSQL types, and give both
 * the statement's casts and the Java arrays the rows' values are gathered in.
 */
final class Unnest {

    private Unnest() {
    }

    /**
     * {@code unnest($first::type[], $first+1::type[], ...)}, one parameter per column.
     *
     * @param first the number of the first array's parameter (1 unless scalar parameters come first)
     * @param types the columns' PostgreSQL types: {@code varchar}, {@code text}, {@code int}, {@code bigint} or
     *        {@code timestamptz}
     */
    static String unnest(int first, List<String> types) {
        StringJoiner sql = new StringJoiner(", ", "unnest(", ")");
        for (int column = 0; column < types.size(); column++) {
            sql.add("$" + (first + column) + "::" + types.get(column) + "[]");
        }
        return sql.toString();
    }

    /**
     * Adds to {@code parameters} one array per column of {@code rows}, each row a tuple of the columns' values in
     * order (a {@code varchar} or {@code text} value a String, {@code int} an Integer, {@code bigint} a Long,
     * {@code timestamptz} an OffsetDateTime; any of them null).
     *
     * @return {@code parameters}
     * @throws ArrayStoreException a value is not of its column's Java type
     */
    static Tuple arrays(Tuple parameters, List<String> types, List<Tuple> rows) {
        int n = rows.size();
        for (int column = 0; column < types.size(); column++) {
            Object[] values = switch (types.get(column)) {
                case "varchar", "text" -> new String[n];
                case "int" -> new Integer[n];
                case "bigint" -> new Long[n];
                case "timestamptz" -> new OffsetDateTime[n];
                default -> throw new IllegalArgumentException("no array type for " + types.get(column));
            };
            for (int i = 0; i < n; i++) {
                values[i] = rows.get(i).getValue(column);
            }
            parameters.addValue(values);
        }
        return parameters;
    }
}
