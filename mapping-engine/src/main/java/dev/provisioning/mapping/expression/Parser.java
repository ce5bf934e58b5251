package dev.provisioning.mapping.expression;

import java.util.ArrayList;
import java.util.List;

/**
 * A hand-written recursive-descent parser for Entra's expression syntax:
 *
 * <pre>
 * expression := operand [ ("=" | "&lt;&gt;" | "&gt;" | "&gt;=" | "&lt;" | "&lt;=") operand ]
 * operand    := Name "(" [ argument { "," argument } ] ")"   function call; Name is case-sensitive
 *             | "[" attribute name "]"
 *             | '"' characters, with \" and \\ escapes '"'
 *             | [ "-" ] digits [ "." digits ] | "&amp;H" hex digits
 *             | True | False | vbTextCompare | vbBinaryCompare
 * argument   := expression | (nothing: an empty argument, which evaluates to null)
 * </pre>
 *
 * A backslash before any other character is kept as is, so regular expressions such as {@code "\d"} survive. Positions
 * in errors are 1-based. Function calls nest at most {@value #MAX_DEPTH} deep (real expressions nest a handful):
 * deeper is a parse error, never a stack overflow, in parsing and in evaluation alike.
 */
final class Parser {

    static final int MAX_LENGTH = 10_000;
    /** Most function calls nested inside one another. */
    public static final int MAX_DEPTH = 200;

    private final String text;
    private int pos;
    private int depth;

    private Parser(String text) {
        this.text = text;
    }

    static Node parse(String text) {
        if (text == null || text.isBlank()) {
            throw new ExpressionParseException(1, "expected an expression");
        }
        if (text.length() > MAX_LENGTH) {
            throw new ExpressionParseException(MAX_LENGTH + 1,
                    "expressions are limited to " + MAX_LENGTH + " characters, this one has " + text.length());
        }
        Parser parser = new Parser(text);
        Node node = parser.expression();
        parser.skipWhitespace();
        if (!parser.atEnd()) {
            throw parser.error("unexpected " + parser.describeCurrent() + " after the end of the expression");
        }
        return node;
    }

    private Node expression() {
        Node left = operand();
        skipWhitespace();
        String operator = comparisonOperator();
        if (operator == null) {
            return left;
        }
        int operatorPosition = pos + 1;
        pos += operator.length();
        skipWhitespace();
        if (atEnd()) {
            throw error("expected a value after '" + operator + "'");
        }
        Node right = operand();
        return new Node.Comparison(left, operator, right, operatorPosition);
    }

    private String comparisonOperator() {
        if (atEnd()) {
            return null;
        }
        char c = text.charAt(pos);
        char next = pos + 1 < text.length() ? text.charAt(pos + 1) : 0;
        return switch (c) {
            case '=' -> "=";
            case '<' -> next == '>' ? "<>" : next == '=' ? "<=" : "<";
            case '>' -> next == '=' ? ">=" : ">";
            default -> null;
        };
    }

    private Node operand() {
        skipWhitespace();
        if (atEnd()) {
            throw error("expected a function, an [attribute], a \"string\" or a number");
        }
        char c = text.charAt(pos);
        int start = pos + 1;
        if (c == '[') {
            return attribute();
        }
        if (c == '"') {
            return new Node.Literal(string(), start);
        }
        if (isDigit(c) || ((c == '-' || c == '.') && pos + 1 < text.length() && isDigit(text.charAt(pos + 1)))) {
            return number();
        }
        if (c == '&' && pos + 1 < text.length() && (text.charAt(pos + 1) == 'H' || text.charAt(pos + 1) == 'h')) {
            return hexNumber();
        }
        if (Character.isLetter(c) || c == '_') {
            return nameOrCall();
        }
        throw error("expected a function, an [attribute], a \"string\" or a number, found " + describeCurrent());
    }

    private Node attribute() {
        int start = pos;
        pos++;
        int close = text.indexOf(']', pos);
        if (close < 0) {
            pos = text.length();
            throw error("expected ']' to close the attribute reference started at position " + (start + 1));
        }
        String name = text.substring(pos, close).trim();
        if (name.isEmpty()) {
            throw new ExpressionParseException(start + 1, "expected an attribute name between '[' and ']'");
        }
        pos = close + 1;
        return new Node.Attribute(name, start + 1);
    }

    private String string() {
        int start = pos;
        pos++;
        StringBuilder sb = new StringBuilder();
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return sb.toString();
            }
            if (c == '\\' && pos + 1 < text.length()) {
                char next = text.charAt(pos + 1);
                if (next == '"' || next == '\\') {
                    sb.append(next);
                    pos += 2;
                    continue;
                }
            }
            sb.append(c);
            pos++;
        }
        throw error("expected '\"' to close the string started at position " + (start + 1));
    }

    private Node number() {
        int start = pos;
        if (text.charAt(pos) == '-') {
            pos++;
        }
        while (pos < text.length() && isDigit(text.charAt(pos))) {
            pos++;
        }
        boolean decimal = false;
        if (pos < text.length() && text.charAt(pos) == '.') {
            decimal = true;
            pos++;
            if (pos >= text.length() || !isDigit(text.charAt(pos))) {
                throw error("expected a digit after the decimal point");
            }
            while (pos < text.length() && isDigit(text.charAt(pos))) {
                pos++;
            }
        }
        String literal = text.substring(start, pos);
        try {
            Object value = decimal ? (Object) Double.parseDouble(literal) : (Object) Long.parseLong(literal);
            return new Node.Literal(value, start + 1);
        } catch (NumberFormatException e) {
            pos = start;
            throw error("number " + literal + " is out of range");
        }
    }

    private Node hexNumber() {
        int start = pos;
        pos += 2;
        int digits = pos;
        while (pos < text.length() && Character.digit(text.charAt(pos), 16) >= 0) {
            pos++;
        }
        if (pos == digits) {
            throw error("expected hexadecimal digits after '&H'");
        }
        try {
            return new Node.Literal(Long.parseLong(text.substring(digits, pos), 16), start + 1);
        } catch (NumberFormatException e) {
            pos = start;
            throw error("hexadecimal number is out of range");
        }
    }

    private Node nameOrCall() {
        int start = pos;
        while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
            pos++;
        }
        String name = text.substring(start, pos);
        int afterName = pos;
        skipWhitespace();
        if (!atEnd() && text.charAt(pos) == '(') {
            return call(name, start + 1);
        }
        pos = afterName;
        switch (name) {
            case "True" :
            case "true" :
                return new Node.Literal(Boolean.TRUE, start + 1);
            case "False" :
            case "false" :
                return new Node.Literal(Boolean.FALSE, start + 1);
            case "vbTextCompare" :
            case "vbBinaryCompare" :
                return new Node.Literal(name, start + 1);
            default :
                pos = start;
                throw error("unknown name '" + name
                        + "': expected a function call such as " + name + "(...), an [attribute] or a \"string\"");
        }
    }

    private Node call(String name, int namePosition) {
        Function function = Functions.get(name);
        if (function == null) {
            pos = namePosition - 1;
            String hint = Functions.caseInsensitiveMatch(name)
                    .map(f -> " (function names are case-sensitive: did you mean " + f + "?)")
                    .orElse("");
            throw error("unknown function '" + name + "'" + hint);
        }
        if (++depth > MAX_DEPTH) {
            throw new ExpressionParseException(namePosition,
                    "function calls are nested more than " + MAX_DEPTH + " deep here: simplify the expression");
        }
        pos++; // '('
        List<Node> args = new ArrayList<>();
        skipWhitespace();
        if (!atEnd() && text.charAt(pos) == ')') {
            pos++;
        } else {
            while (true) {
                skipWhitespace();
                if (atEnd()) {
                    throw error("expected ')' after the arguments of " + name);
                }
                char c = text.charAt(pos);
                if (c == ',' || c == ')') {
                    args.add(new Node.Missing(pos + 1));
                } else {
                    args.add(expression());
                }
                skipWhitespace();
                if (atEnd()) {
                    throw error("expected ')' after the arguments of " + name);
                }
                c = text.charAt(pos);
                if (c == ',') {
                    pos++;
                } else if (c == ')') {
                    pos++;
                    break;
                } else {
                    throw error("expected ',' or ')' after argument " + args.size() + " of " + name + ", found "
                            + describeCurrent());
                }
            }
        }
        if (args.size() < function.minArgs() || args.size() > function.maxArgs()) {
            throw new ExpressionParseException(namePosition, name + " takes " + arity(function) + " ("
                    + function.signature() + "), found " + args.size());
        }
        depth--;
        Object prepared = function.preparer() == null ? null : function.preparer().prepare(args, namePosition);
        return new Node.Call(function, List.copyOf(args), prepared, namePosition);
    }

    private static String arity(Function f) {
        if (f.minArgs() == f.maxArgs()) {
            return f.minArgs() + (f.minArgs() == 1 ? " argument" : " arguments");
        }
        if (f.maxArgs() == Integer.MAX_VALUE) {
            return "at least " + f.minArgs() + (f.minArgs() == 1 ? " argument" : " arguments");
        }
        return f.minArgs() + " to " + f.maxArgs() + " arguments";
    }

    private void skipWhitespace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private boolean atEnd() {
        return pos >= text.length();
    }

    private String describeCurrent() {
        return atEnd() ? "the end of the expression" : "'" + text.charAt(pos) + "'";
    }

    private ExpressionParseException error(String detail) {
        return new ExpressionParseException(pos + 1, detail);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
