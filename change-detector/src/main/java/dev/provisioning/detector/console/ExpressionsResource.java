package dev.provisioning.detector.console;

import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import dev.provisioning.detector.api.FieldError;
import dev.provisioning.detector.api.InvalidJobException;
import dev.provisioning.detector.api.Roles;
import dev.provisioning.mapping.expression.Expression;
import dev.provisioning.mapping.expression.ExpressionParseException;

/**
 * Checks an expression of Entra's expression language as the console's editor is typed in, with the parser that
 * validates a job when it is saved and that the mapper evaluates with.
 */
@Path("/expressions")
@Tag(name = "Jobs")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ExpressionsResource {

    /** Longer than any expression a mapping needs; the parser is linear, this bounds the work of one keystroke. */
    static final int MAX_LENGTH = 10_000;

    @RolesAllowed({Roles.READER, Roles.OPERATOR, Roles.ADMIN})
    @POST
    @Path("/validate")
    @Operation(summary = "Validate an expression (Entra's expression language)", description = "Body "
            + "{\"expression\": \"...\"}. Answers 200 {valid, errors: [{field: \"expression\", message, position}], "
            + "attributes, functions}: a syntax error, an unknown function or a wrong number of arguments, at its "
            + "1-based position. 400 naming expression when it is missing.")
    public ConsoleViews.ExpressionValidation validate(ConsoleViews.ExpressionRequest request) {
        if (request == null || request.expression() == null) {
            throw InvalidJobException.request(List.of(new FieldError("expression", "is required")));
        }
        if (request.expression().length() > MAX_LENGTH) {
            throw InvalidJobException.request(
                    List.of(new FieldError("expression", "must be at most " + MAX_LENGTH + " characters")));
        }
        try {
            Expression parsed = Expression.parse(request.expression());
            return new ConsoleViews.ExpressionValidation(true, List.of(),
                    parsed.attributes().stream().sorted().toList(),
                    parsed.functions().stream().sorted().toList());
        } catch (ExpressionParseException e) {
            return new ConsoleViews.ExpressionValidation(false,
                    List.of(new ConsoleViews.ExpressionError("expression", e.getMessage(), e.position())), List.of(),
                    List.of());
        }
    }
}
