package dev.provisioning.detector.console;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;

/**
 * {@code GET /console} (no trailing slash) answers 308 Permanent Redirect to {@code /console/}, the operator console's
 * page, keeping the query string; so a person who types the address without the slash gets the console, not a 404
 * (the console's files are static resources under {@code META-INF/resources/console/}, which only
 * {@code /console/...} finds). The fragment the console reads its token from ({@code #token=...}) is never sent to
 * the server and stays with the request: a browser keeps a URL's fragment across a redirect whose {@code Location}
 * has none (RFC 9110, section 10.2.2), so {@code /console#token=...} arrives as {@code /console/#token=...}. Public
 * like the page itself: the redirect holds no data. {@code HEAD} is redirected too.
 */
@Singleton
public class ConsoleRedirect {

    /** The console's page, where {@code /console} leads. */
    static final String PAGE = "/console/";

    void route(@Observes Router router) {
        router.route("/console").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> {
            // a route's path matches with and without a trailing slash: /console/ is the static page's, passed on
            if (!"/console".equals(ctx.request().path())) {
                ctx.next();
                return;
            }
            String query = ctx.request().query();
            ctx.response().setStatusCode(308)
                    .putHeader(HttpHeaders.LOCATION, query == null ? PAGE : PAGE + "?" + query).end();
        });
    }
}
