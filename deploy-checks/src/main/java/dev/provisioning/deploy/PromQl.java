package dev.provisioning.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A reader of PromQL expressions as the dashboard and the alert rules write them: enough of the grammar to know every
 * metric an expression selects and every label it matches, groups or joins on. Plain Java, no Prometheus library (none
 * on Maven Central parses PromQL).
 *
 * <p>
 * Covers vector selectors with matchers, range vectors, subqueries and {@code offset}, function calls, aggregations
 * with {@code by}/{@code without} (before or after the argument) and a parameter, binary operators with PromQL's
 * precedence, {@code bool}, {@code on}/{@code ignoring} and {@code group_left}/{@code group_right}, number and string
 * literals (with escapes), and Grafana's template variables ({@code $provisioning_job}, {@code ${x}},
 * {@code [$__rate_interval]}), which stand for a literal. Source: the PromQL documentation, "Querying basics",
 * "Operators" and "Functions" (prometheus.io/docs/prometheus/latest/querying/).
 *
 * @see MetricUses for what an expression needs of the metrics it reads
 */
public final class PromQl {

    /** A parsed expression. */
    public sealed interface Expr permits Selector, Call, Aggregation, Binary, Unary, Ranged, NumberLiteral,
            StringLiteral {
    }

    /** {@code name{label op "value", ...}}; {@code metric} is null for a selector without a name. */
    public record Selector(String metric, List<Matcher> matchers) implements Expr {
    }

    /** One label matcher; {@code op} is one of {@code = != =~ !~}. */
    public record Matcher(String label, String op, String value) {
    }

    /** {@code function(args...)}. */
    public record Call(String function, List<Expr> args) implements Expr {
    }

    /**
     * {@code op [by|without (grouping)] ([param,] inner)}; {@code grouping} is null when no clause was given.
     */
    public record Aggregation(String op, boolean without, List<String> grouping, Expr param, Expr inner)
            implements
                Expr {
    }

    /**
     * {@code left op [bool] [on|ignoring (matching)] [group_left|group_right (include)] right}; {@code matching} is null
     * without an {@code on}/{@code ignoring} clause, {@code group} is {@code "group_left"}, {@code "group_right"} or null.
     */
    public record Binary(String op, Expr left, Expr right, boolean on, List<String> matching, String group,
            List<String> include) implements Expr {
    }

    /** {@code -x} or {@code +x}. */
    public record Unary(String op, Expr inner) implements Expr {
    }

    /** {@code inner[range]}, {@code inner[range:step]} or {@code inner offset d}: the labels are the inner's. */
    public record Ranged(Expr inner, String range) implements Expr {
    }

    /** A number, or a Grafana variable in a number's place. */
    public record NumberLiteral(String text) implements Expr {
    }

    /** A string literal, unescaped. */
    public record StringLiteral(String value) implements Expr {
    }

    /** The aggregation operators (PromQL "Aggregation operators"). */
    public static final Set<String> AGGREGATIONS = Set.of("sum", "min", "max", "avg", "group", "stddev", "stdvar",
            "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio");

    /** The aggregations that take a parameter before the vector. */
    static final Set<String> PARAMETRIC = Set.of("count_values", "bottomk", "topk", "quantile", "limitk",
            "limit_ratio");

    private static final Set<String> SET_OPERATORS = Set.of("and", "or", "unless");

    private final List<Token> tokens;
    private int position;

    private PromQl(List<Token> tokens) {
        this.tokens = tokens;
    }

    /**
     * Parses one expression.
     *
     * @throws IllegalArgumentException naming the position and what was expected, when {@code expression} is not PromQL
     */
    public static Expr parse(String expression) {
        PromQl parser = new PromQl(new Lexer(expression).tokens());
        Expr expr = parser.expression(0);
        if (parser.peek().kind != Kind.END) {
            throw parser.error("end of expression");
        }
        return expr;
    }

    /** Every selector in {@code expr}, depth first. */
    public static List<Selector> selectors(Expr expr) {
        List<Selector> found = new ArrayList<>();
        collect(expr, found);
        return found;
    }

    private static void collect(Expr expr, List<Selector> found) {
        if (expr instanceof Selector s) {
            found.add(s);
        } else if (expr instanceof Call c) {
            c.args().forEach(a -> collect(a, found));
        } else if (expr instanceof Aggregation a) {
            if (a.param() != null) {
                collect(a.param(), found);
            }
            collect(a.inner(), found);
        } else if (expr instanceof Binary b) {
            collect(b.left(), found);
            collect(b.right(), found);
        } else if (expr instanceof Unary u) {
            collect(u.inner(), found);
        } else if (expr instanceof Ranged r) {
            collect(r.inner(), found);
        }
    }

    // ---------------------------------------------------------------- parser (precedence climbing)

    /** Binary operator precedence, lowest first (PromQL "Binary operator precedence"). */
    private static int precedence(Token t) {
        if (t.kind == Kind.IDENT) {
            return switch (t.text.toLowerCase(Locale.ROOT)) {
                case "or" -> 1;
                case "and", "unless" -> 2;
                case "atan2" -> 5;
                default -> -1;
            };
        }
        if (t.kind != Kind.OPERATOR) {
            return -1;
        }
        return switch (t.text) {
            case "==", "!=", ">", "<", ">=", "<=" -> 3;
            case "+", "-" -> 4;
            case "*", "/", "%" -> 5;
            case "^" -> 6;
            default -> -1;
        };
    }

    private Expr expression(int minimum) {
        Expr left = unary();
        while (true) {
            Token op = peek();
            int precedence = precedence(op);
            if (precedence < 0 || precedence < minimum) {
                return left;
            }
            next();
            String operator = op.kind == Kind.IDENT ? op.text.toLowerCase(Locale.ROOT) : op.text;
            if (isIdent("bool")) {
                next();
            }
            boolean on = false;
            List<String> matching = null;
            if (isIdent("on") || isIdent("ignoring")) {
                on = next().text.equalsIgnoreCase("on");
                matching = labelList();
            }
            String group = null;
            List<String> include = List.of();
            if (isIdent("group_left") || isIdent("group_right")) {
                group = next().text.toLowerCase(Locale.ROOT);
                if (peek().kind == Kind.LPAREN) {
                    include = labelList();
                }
            }
            // ^ is right-associative, every other operator left-associative
            Expr right = expression(operator.equals("^") ? precedence : precedence + 1);
            left = new Binary(operator, left, right, on, matching, group, include);
        }
    }

    private Expr unary() {
        Token t = peek();
        if (t.kind == Kind.OPERATOR && (t.text.equals("-") || t.text.equals("+"))) {
            next();
            return new Unary(t.text, unary());
        }
        return postfix(primary());
    }

    private Expr postfix(Expr expr) {
        while (true) {
            Token t = peek();
            if (t.kind == Kind.RANGE) {
                next();
                expr = new Ranged(expr, t.text);
            } else if (isIdent("offset")) {
                next();
                Token duration = next();
                expr = new Ranged(expr, "offset " + duration.text);
            } else if (t.kind == Kind.OPERATOR && t.text.equals("@")) {
                next();
                Token at = next();
                if (at.kind == Kind.IDENT && peek().kind == Kind.LPAREN) { // @ start() / @ end()
                    expect(Kind.LPAREN);
                    expect(Kind.RPAREN);
                }
                expr = new Ranged(expr, "@ " + at.text);
            } else {
                return expr;
            }
        }
    }

    private Expr primary() {
        Token t = next();
        switch (t.kind) {
            case NUMBER, VARIABLE : {
                return new NumberLiteral(t.text);
            }
            case STRING : {
                return new StringLiteral(t.text);
            }
            case LPAREN : {
                Expr inner = expression(0);
                expect(Kind.RPAREN);
                return inner;
            }
            case LBRACE : {
                position--;
                return new Selector(null, matchers());
            }
            case IDENT : {
                String name = t.text;
                String lower = name.toLowerCase(Locale.ROOT);
                if (AGGREGATIONS.contains(lower)
                        && (peek().kind == Kind.LPAREN || isIdent("by") || isIdent("without"))) {
                    return aggregation(lower);
                }
                if (peek().kind == Kind.LPAREN) {
                    next();
                    List<Expr> args = new ArrayList<>();
                    if (peek().kind != Kind.RPAREN) {
                        args.add(expression(0));
                        while (peek().kind == Kind.COMMA) {
                            next();
                            args.add(expression(0));
                        }
                    }
                    expect(Kind.RPAREN);
                    return new Call(name, args);
                }
                if (lower.equals("inf") || lower.equals("nan")) {
                    return new NumberLiteral(name);
                }
                return new Selector(name, peek().kind == Kind.LBRACE ? matchers() : List.of());
            }
            default : {
                position--;
                throw error("a number, string, selector, function or (");
            }
        }
    }

    private Expr aggregation(String op) {
        Boolean without = null;
        List<String> grouping = null;
        if (isIdent("by") || isIdent("without")) {
            without = next().text.equalsIgnoreCase("without");
            grouping = labelList();
        }
        expect(Kind.LPAREN);
        Expr param = null;
        Expr inner = expression(0);
        if (PARAMETRIC.contains(op)) {
            expect(Kind.COMMA);
            param = inner;
            inner = expression(0);
        }
        expect(Kind.RPAREN);
        if (grouping == null && (isIdent("by") || isIdent("without"))) {
            without = next().text.equalsIgnoreCase("without");
            grouping = labelList();
        }
        return new Aggregation(op, Boolean.TRUE.equals(without), grouping, param, inner);
    }

    private List<String> labelList() {
        expect(Kind.LPAREN);
        List<String> labels = new ArrayList<>();
        while (peek().kind != Kind.RPAREN) {
            Token label = next();
            if (label.kind != Kind.IDENT && label.kind != Kind.STRING) {
                position--;
                throw error("a label name");
            }
            labels.add(label.text);
            if (peek().kind == Kind.COMMA) {
                next();
            } else if (peek().kind != Kind.RPAREN) {
                throw error(", or )");
            }
        }
        expect(Kind.RPAREN);
        return List.copyOf(labels);
    }

    private List<Matcher> matchers() {
        expect(Kind.LBRACE);
        List<Matcher> matchers = new ArrayList<>();
        while (peek().kind != Kind.RBRACE) {
            Token label = next();
            if (label.kind != Kind.IDENT && label.kind != Kind.STRING) {
                position--;
                throw error("a label name");
            }
            Token op = next();
            if (op.kind != Kind.OPERATOR || !Set.of("=", "!=", "=~", "!~").contains(op.text)) {
                position--;
                throw error("= != =~ or !~");
            }
            Token value = next();
            if (value.kind != Kind.STRING) {
                position--;
                throw error("a quoted label value");
            }
            matchers.add(new Matcher(label.text, op.text, value.text));
            if (peek().kind == Kind.COMMA) {
                next();
            } else if (peek().kind != Kind.RBRACE) {
                throw error(", or }");
            }
        }
        expect(Kind.RBRACE);
        return List.copyOf(matchers);
    }

    private boolean isIdent(String word) {
        Token t = peek();
        return t.kind == Kind.IDENT && t.text.equalsIgnoreCase(word);
    }

    private Token peek() {
        return tokens.get(position);
    }

    private Token next() {
        Token t = tokens.get(position);
        if (t.kind != Kind.END) {
            position++;
        }
        return t;
    }

    private void expect(Kind kind) {
        if (peek().kind != kind) {
            throw error(kind.shown);
        }
        next();
    }

    private IllegalArgumentException error(String expected) {
        Token t = peek();
        return new IllegalArgumentException("PromQL: expected " + expected + " at offset " + t.offset + ", found "
                + (t.kind == Kind.END ? "the end" : "'" + t.text + "'"));
    }

    /** Whether {@code expr} is a scalar (or a string): it has no labels, whatever is asked of it. */
    static boolean isScalar(Expr expr) {
        if (expr instanceof NumberLiteral || expr instanceof StringLiteral) {
            return true;
        }
        if (expr instanceof Unary u) {
            return isScalar(u.inner());
        }
        if (expr instanceof Call c) {
            return Set.of("time", "scalar", "pi").contains(c.function());
        }
        if (expr instanceof Binary b) {
            return isScalar(b.left()) && isScalar(b.right());
        }
        return false;
    }

    // ---------------------------------------------------------------- lexer

    private enum Kind {
        IDENT("a name"), NUMBER("a number"), STRING("a string"), VARIABLE("a variable"), OPERATOR(
                "an operator"), LPAREN(
                        "("), RPAREN(")"), LBRACE("{"), RBRACE("}"), COMMA(","), RANGE("[range]"), END("the end");

        final String shown;

        Kind(String shown) {
            this.shown = shown;
        }
    }

    private record Token(Kind kind, String text, int offset) {
    }

    private static final class Lexer {
        private final String s;
        private int i;
        private final List<Token> out = new ArrayList<>();

        Lexer(String s) {
            this.s = s;
        }

        List<Token> tokens() {
            while (true) {
                skipSpaceAndComments();
                if (i >= s.length()) {
                    out.add(new Token(Kind.END, "", i));
                    return out;
                }
                int start = i;
                char c = s.charAt(i);
                if (c == '(') {
                    add(Kind.LPAREN, "(", start, 1);
                } else if (c == ')') {
                    add(Kind.RPAREN, ")", start, 1);
                } else if (c == '{') {
                    add(Kind.LBRACE, "{", start, 1);
                } else if (c == '}') {
                    add(Kind.RBRACE, "}", start, 1);
                } else if (c == ',') {
                    add(Kind.COMMA, ",", start, 1);
                } else if (c == '[') {
                    int end = s.indexOf(']', i);
                    if (end < 0) {
                        throw new IllegalArgumentException("PromQL: unclosed [ at offset " + i);
                    }
                    out.add(new Token(Kind.RANGE, s.substring(i + 1, end).trim(), start));
                    i = end + 1;
                } else if (c == '"' || c == '\'' || c == '`') {
                    out.add(new Token(Kind.STRING, string(c), start));
                } else if (c == '$') {
                    out.add(new Token(Kind.VARIABLE, variable(), start));
                } else if (Character.isDigit(c) || (c == '.' && i + 1 < s.length()
                        && Character.isDigit(s.charAt(i + 1)))) {
                    out.add(new Token(Kind.NUMBER, number(), start));
                } else if (Character.isLetter(c) || c == '_' || c == ':') {
                    int end = i;
                    while (end < s.length() && (Character.isLetterOrDigit(s.charAt(end)) || s.charAt(end) == '_'
                            || s.charAt(end) == ':')) {
                        end++;
                    }
                    out.add(new Token(Kind.IDENT, s.substring(i, end), start));
                    i = end;
                } else {
                    String two = i + 1 < s.length() ? s.substring(i, i + 2) : "";
                    if (Set.of("==", "!=", ">=", "<=", "=~", "!~").contains(two)) {
                        add(Kind.OPERATOR, two, start, 2);
                    } else if ("+-*/%^<>=@".indexOf(c) >= 0) {
                        add(Kind.OPERATOR, String.valueOf(c), start, 1);
                    } else {
                        throw new IllegalArgumentException("PromQL: unexpected '" + c + "' at offset " + i);
                    }
                }
            }
        }

        private void add(Kind kind, String text, int start, int length) {
            out.add(new Token(kind, text, start));
            i += length;
        }

        private void skipSpaceAndComments() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (Character.isWhitespace(c)) {
                    i++;
                } else if (c == '#') { // a comment runs to the end of the line
                    while (i < s.length() && s.charAt(i) != '\n') {
                        i++;
                    }
                } else {
                    return;
                }
            }
        }

        private String string(char quote) {
            StringBuilder value = new StringBuilder();
            i++;
            while (i < s.length()) {
                char c = s.charAt(i++);
                if (c == quote) {
                    return value.toString();
                }
                if (c == '\\' && quote != '`' && i < s.length()) {
                    char e = s.charAt(i++);
                    // \\ \" \' and anything else stand for themselves
                    value.append(e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e);
                } else {
                    value.append(c);
                }
            }
            throw new IllegalArgumentException("PromQL: unclosed string starting " + quote);
        }

        private String variable() {
            int start = i++;
            if (i < s.length() && s.charAt(i) == '{') {
                int end = s.indexOf('}', i);
                if (end < 0) {
                    throw new IllegalArgumentException("PromQL: unclosed ${ at offset " + start);
                }
                i = end + 1;
            } else {
                while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                    i++;
                }
            }
            return s.substring(start, i);
        }

        private String number() {
            int start = i;
            if (s.startsWith("0x", i) || s.startsWith("0X", i)) {
                i += 2;
                while (i < s.length() && Character.digit(s.charAt(i), 16) >= 0) {
                    i++;
                }
                return s.substring(start, i);
            }
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                i++;
            }
            if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                int mark = i++;
                if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                    i++;
                }
                if (i < s.length() && Character.isDigit(s.charAt(i))) {
                    while (i < s.length() && Character.isDigit(s.charAt(i))) {
                        i++;
                    }
                } else {
                    i = mark;
                }
            }
            // a duration (5m, 1h30m) where a number may stand, e.g. after offset
            while (i < s.length() && Character.isLetterOrDigit(s.charAt(i))) {
                i++;
            }
            return s.substring(start, i);
        }
    }

    static boolean isSetOperator(String op) {
        return SET_OPERATORS.contains(op);
    }
}
