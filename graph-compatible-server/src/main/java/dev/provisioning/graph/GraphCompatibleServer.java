package dev.provisioning.graph;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * An in-memory server with the parts of Microsoft Graph, and of the Entra token endpoint, that a provisioning client
 * reads, for tests and local runs.
 *
 * <ul>
 * <li>{@code POST /{tenant}/oauth2/v2.0/token}: OAuth2 client credentials (form {@code client_id},
 * {@code client_secret} or HTTP Basic, {@code scope=}{@link #scope()}, this server's own Graph endpoint's
 * {@code .default} scope, as a national cloud's token endpoint wants its own (not {@code https://graph.microsoft.com}),
 * {@code grant_type=client_credentials}); a wrong secret is {@code 401 invalid_client}. Tokens expire after
 * {@link Options#tokenLifetime()}.</li>
 * <li>{@code GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo}: paged with {@code @odata.nextLink}.</li>
 * <li>{@code GET /v1.0/servicePrincipals/{id}?$select=appRoles}: the app's roles ({@link GraphDirectory#defineAppRole}).
 * </li>
 * <li>{@code GET /v1.0/users/delta} and {@code /v1.0/groups/delta} with {@code $select}: pages of
 * {@link Options#deltaPageSize()} objects linked by {@code @odata.nextLink}, then an {@code @odata.deltaLink} whose
 * token returns only what changed since; {@code Prefer: return=minimal} is honoured for users. Expired delta tokens
 * ({@link #expireDeltaTokens()}) answer {@code 410 Gone} with {@code syncStateNotFound}.</li>
 * </ul>
 * Every Graph call needs {@code Authorization: Bearer <token from the token endpoint>}; {@link #throttleNext} answers
 * {@code 429} with {@code Retry-After}; {@link #hold()} parks Graph calls until {@link #release()}. The directory is
 * driven through {@link #directory()}.
 *
 * <pre>{@code
 * try (GraphCompatibleServer graph = GraphCompatibleServer.start(GraphCompatibleServer.Options.defaults())) {
 *     String userId = graph.directory().addUser(Map.of("userPrincipalName", "ada@contoso.example"));
 *     graph.directory().assign(userId, PrincipalType.User, GraphCompatibleServer.DEFAULT_APP_ROLE);
 *     // point a client at graph.authorityUrl(), graph.baseUrl(), tenant, client id and secret of the options
 * }
 * }</pre>
 */
public final class GraphCompatibleServer implements AutoCloseable {

    /** A non-default app role id for tests. */
    public static final String DEFAULT_APP_ROLE = "8a1d9a61-3b1c-4c2e-9d55-0c2b1a7e2f11";

    private static final String VERSION = "/v1.0";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Options options;
    private final HttpServer http;
    private final ExecutorService executor;
    private final String root;
    private final ObjectMapper mapper = new ObjectMapper();
    private final GraphDirectory directory = new GraphDirectory(mapper);
    private final Map<String, Instant> accessTokens = new ConcurrentHashMap<>();
    private final Map<String, DeltaToken> deltaTokens = new ConcurrentHashMap<>();
    private final Map<String, DeltaSession> sessions = new ConcurrentHashMap<>();
    private final List<GraphRequest> requests = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger throttled = new AtomicInteger();
    private volatile Duration retryAfter = Duration.ofSeconds(1);
    private final AtomicInteger failing = new AtomicInteger();
    private volatile String failingPath = "";
    private volatile int failingStatus = 503;
    /** Open while {@link #hold()} is on; null when calls pass. */
    private volatile CountDownLatch held;
    private final AtomicInteger parked = new AtomicInteger();
    private final Object holdLock = new Object();

    private record DeltaToken(String resource, long position, Set<String> select, boolean expired) {
    }

    private record DeltaSession(String resource, List<ObjectNode> items, String deltaToken) {
    }

    private GraphCompatibleServer(Options options) throws IOException {
        this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 256);
        this.options = options.port(http.getAddress().getPort());
        this.root = "http://" + (options.host().equals("0.0.0.0") ? "127.0.0.1" : options.host()) + ":"
                + http.getAddress().getPort();
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "graph-fake-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/", this::handle);
        http.start();
    }

    /**
     * Starts a server; returns once it accepts connections.
     *
     * @throws UncheckedIOException when the port cannot be bound
     */
    public static GraphCompatibleServer start(Options options) {
        Objects.requireNonNull(options, "options");
        try {
            return new GraphCompatibleServer(options);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the Graph server on " + options.host() + ":" + options.port(),
                    e);
        }
    }

    /** Graph's base URL, {@code http://127.0.0.1:<port>/v1.0}. */
    public String baseUrl() {
        return root + VERSION;
    }

    /**
     * The scope the token endpoint grants, {@code http://127.0.0.1:<port>/.default}: this Graph endpoint's origin and
     * {@code /.default}, as {@code https://graph.microsoft.us/.default} is US Government Graph's. A token request for any
     * other scope (the global cloud's included) is {@code 400 invalid_scope}.
     */
    public String scope() {
        return root + "/.default";
    }

    /** The token authority, {@code http://127.0.0.1:<port>}: tokens are at {@code /{tenant}/oauth2/v2.0/token}. */
    public String authorityUrl() {
        return root;
    }

    /** The options, with the bound port. */
    public Options options() {
        return options;
    }

    /** The directory, to load and change between delta rounds. */
    public GraphDirectory directory() {
        return directory;
    }

    /** A snapshot of the request log, in arrival order. */
    public List<GraphRequest> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    public void clearRequests() {
        requests.clear();
    }

    /** Answers the next {@code count} Graph calls (not token calls) with 429 and {@code Retry-After}. */
    public void throttleNext(int count, Duration retryAfter) {
        this.retryAfter = retryAfter;
        throttled.set(count);
    }

    /**
     * Answers the next {@code count} Graph calls whose path contains {@code pathPart} with {@code status} (a 5xx or
     * 429, {@code Retry-After: 0}), as a Graph outage of one kind of request would.
     */
    public void failNext(String pathPart, int count, int status) {
        failingPath = pathPart;
        failingStatus = status;
        failing.set(count);
    }

    /**
     * Holds Graph calls until {@link #release()}, as a tenant that stopped answering would (a test uses it to show that
     * what waits for this tenant waits alone). A call under {@code /v1.0} that passes the token check and the injected
     * answers ({@link #throttleNext}, {@link #failNext}: those still answer at once, so a throttled client gets its
     * 429s and parks on the call after them) parks in the handler; when released it is answered from the directory as
     * it is then. Token calls, a 401 and the injected answers are not held. The request log records a call when it is
     * answered, so it shows no parked call.
     *
     * <p>
     * Threads: the server runs each exchange on its own thread of a cached (unbounded) pool, so a parked call holds one
     * thread and nothing else (no lock, no other connection); other calls and other servers are not slowed. Calling it
     * while held does nothing; {@link #close()} interrupts parked calls, which then answer 503.
     */
    public void hold() {
        synchronized (holdLock) {
            if (held == null) {
                held = new CountDownLatch(1);
            }
        }
    }

    /** Lets every parked call go on and stops holding new ones; does nothing when not held. */
    public void release() {
        CountDownLatch open;
        synchronized (holdLock) {
            open = held;
            held = null;
        }
        if (open != null) {
            open.countDown();
        }
    }

    /** How many Graph calls are parked by {@link #hold()} now (0 when not held). */
    public int parked() {
        return parked.get();
    }

    /** Expires every delta token issued so far: using one answers {@code 410 Gone} ({@code syncStateNotFound}). */
    public void expireDeltaTokens() {
        deltaTokens.replaceAll((id, token) -> new DeltaToken(token.resource(), token.position(), token.select(), true));
    }

    /** Expires every access token issued so far, as if their lifetime had passed. */
    public void expireAccessTokens() {
        accessTokens.replaceAll((token, expiry) -> Instant.EPOCH);
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }

    // ---------------------------------------------------------------- dispatch

    private void handle(HttpExchange exchange) throws IOException {
        Instant at = Instant.now();
        String path = exchange.getRequestURI().getPath();
        String rawQuery = exchange.getRequestURI().getRawQuery();
        int status;
        try {
            status = dispatch(exchange, path, query(rawQuery));
        } catch (RuntimeException e) {
            status = error(exchange, 500, "generalException", "the fake failed: " + e);
        } finally {
            exchange.close();
        }
        requests.add(new GraphRequest(exchange.getRequestMethod(), path,
                rawQuery == null ? null : URLDecoder.decode(rawQuery, StandardCharsets.UTF_8), status, at));
    }

    private int dispatch(HttpExchange exchange, String path, Map<String, String> query) throws IOException {
        String method = exchange.getRequestMethod();
        if (path.endsWith("/oauth2/v2.0/token")) {
            if (!method.equals("POST")) {
                return error(exchange, 405, "methodNotAllowed", "use POST");
            }
            return token(exchange, path.substring(1, path.length() - "/oauth2/v2.0/token".length()));
        }
        if (!path.startsWith(VERSION + "/")) {
            return error(exchange, 404, "BadRequest", "Resource not found for the segment '" + path + "'.");
        }
        String denied = authorization(exchange);
        if (denied != null) {
            return error(exchange, 401, "InvalidAuthenticationToken", denied);
        }
        if (throttled.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            exchange.getResponseHeaders().set("Retry-After", String.valueOf(Math.max(0, retryAfter.toSeconds())));
            return error(exchange, 429, "TooManyRequests", "Too many requests, retry after " + retryAfter.toSeconds()
                    + " seconds.");
        }
        if (path.contains(failingPath) && failing.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            exchange.getResponseHeaders().set("Retry-After", "0");
            return error(exchange, failingStatus, failingStatus == 429 ? "TooManyRequests" : "serviceNotAvailable",
                    "The service is temporarily unavailable.");
        }
        if (!awaitRelease()) {
            return error(exchange, 503, "serviceNotAvailable", "The server is shutting down.");
        }
        if (!method.equals("GET")) {
            return error(exchange, 405, "Request_BadRequest", "only GET is served by this fake");
        }
        String resource = path.substring(VERSION.length());
        if (resource.equals("/users/delta") || resource.equals("/groups/delta")) {
            return delta(exchange, resource.equals("/users/delta") ? "users" : "groups", query);
        }
        if (resource.startsWith("/directory/deletedItems/")) {
            String id = resource.substring("/directory/deletedItems/".length());
            var deleted = directory.deletedUser(id);
            return deleted.isPresent()
                    ? json(exchange, 200, deleted.get())
                    : error(exchange, 404, "Request_ResourceNotFound", "Resource '" + id + "' does not exist.");
        }
        String[] parts = resource.split("/");
        if (parts.length == 4 && parts[1].equals("servicePrincipals") && parts[3].equals("appRoleAssignedTo")) {
            return assignments(exchange, parts[2], query);
        }
        if (parts.length == 3 && parts[1].equals("servicePrincipals")) {
            return servicePrincipal(exchange, parts[2], query);
        }
        return error(exchange, 404, "Request_ResourceNotFound", "Resource '" + resource + "' does not exist.");
    }

    /** Parks the calling handler thread while held; false when the server closed meanwhile (interrupted). */
    private boolean awaitRelease() {
        CountDownLatch open = held;
        if (open == null) {
            return true;
        }
        parked.incrementAndGet();
        try {
            open.await();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            parked.decrementAndGet();
        }
    }

    // ---------------------------------------------------------------- token endpoint

    private int token(HttpExchange exchange, String tenant) throws IOException {
        Map<String, String> form = query(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        String clientId = form.get("client_id");
        String secret = form.get("client_secret");
        String basic = exchange.getRequestHeaders().getFirst("Authorization");
        if (basic != null && basic.regionMatches(true, 0, "Basic ", 0, 6)) {
            String[] pair = new String(Base64.getDecoder().decode(basic.substring(6).trim()), StandardCharsets.UTF_8)
                    .split(":", 2);
            clientId = URLDecoder.decode(pair[0], StandardCharsets.UTF_8);
            secret = pair.length > 1 ? URLDecoder.decode(pair[1], StandardCharsets.UTF_8) : null;
        }
        if (!tenant.equals(options.tenantId())) {
            return oauthError(exchange, 400, "invalid_tenant",
                    "AADSTS90002: Tenant '" + tenant + "' not found.");
        }
        if (!"client_credentials".equals(form.get("grant_type"))) {
            return oauthError(exchange, 400, "unsupported_grant_type",
                    "AADSTS70003: The app requested an unsupported grant type '" + form.get("grant_type") + "'.");
        }
        if (!options.clientId().equals(clientId)) {
            return oauthError(exchange, 400, "unauthorized_client", "AADSTS700016: Application with identifier '"
                    + clientId + "' was not found in the directory '" + tenant + "'.");
        }
        if (!options.clientSecret().equals(secret)) {
            return oauthError(exchange, 401, "invalid_client",
                    "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the"
                            + " client secret value, not the client secret ID, for a secret added to app '" + clientId
                            + "'.");
        }
        if (!scope().equals(form.get("scope"))) {
            return oauthError(exchange, 400, "invalid_scope",
                    "AADSTS1002012: The provided value for scope " + form.get("scope") + " is not valid.");
        }
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String token = "eyJ0eXAi." + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        accessTokens.put(token, Instant.now().plus(options.tokenLifetime()));
        ObjectNode body = mapper.createObjectNode();
        body.put("token_type", "Bearer");
        body.put("expires_in", options.tokenLifetime().toSeconds());
        body.put("ext_expires_in", options.tokenLifetime().toSeconds());
        body.put("access_token", token);
        return json(exchange, 200, body);
    }

    private String authorization(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return "Access token is empty.";
        }
        Instant expiry = accessTokens.get(header.substring(7).trim());
        if (expiry == null) {
            return "Invalid signature.";
        }
        if (!Instant.now().isBefore(expiry)) {
            return "Lifetime validation failed, the token is expired.";
        }
        return null;
    }

    // ---------------------------------------------------------------- Graph resources

    private int assignments(HttpExchange exchange, String servicePrincipalId, Map<String, String> query)
            throws IOException {
        if (!servicePrincipalId.equals(options.servicePrincipalId())) {
            return error(exchange, 404, "Request_ResourceNotFound",
                    "Resource '" + servicePrincipalId + "' does not exist or one of its queried reference-property "
                            + "objects are not present.");
        }
        int size = query.containsKey("$top") ? Integer.parseInt(query.get("$top")) : options.assignmentPageSize();
        int offset = query.containsKey("$skiptoken") ? Integer.parseInt(query.get("$skiptoken")) : 0;
        List<ObjectNode> all = directory.assignments(servicePrincipalId);
        ObjectNode body = mapper.createObjectNode();
        body.put("@odata.context", baseUrl() + "/$metadata#servicePrincipals('" + servicePrincipalId
                + "')/appRoleAssignedTo");
        if (offset + size < all.size()) {
            body.put("@odata.nextLink", baseUrl() + "/servicePrincipals/" + servicePrincipalId
                    + "/appRoleAssignedTo?$top=" + size + "&$skiptoken=" + (offset + size));
        }
        ArrayNode value = body.putArray("value");
        all.subList(Math.min(offset, all.size()), Math.min(all.size(), offset + size)).forEach(value::add);
        return json(exchange, 200, body);
    }

    /** The provisioned app's service principal: with {@code $select=appRoles}, only its app roles (and id). */
    private int servicePrincipal(HttpExchange exchange, String servicePrincipalId, Map<String, String> query)
            throws IOException {
        if (!servicePrincipalId.equals(options.servicePrincipalId())) {
            return error(exchange, 404, "Request_ResourceNotFound",
                    "Resource '" + servicePrincipalId + "' does not exist or one of its queried reference-property "
                            + "objects are not present.");
        }
        Set<String> select = select(query.get("$select"));
        ObjectNode body = mapper.createObjectNode();
        body.put("@odata.context", baseUrl() + "/$metadata#servicePrincipals(" + String.join(",", select)
                + ")/$entity");
        body.put("id", servicePrincipalId);
        if (select.isEmpty() || select.contains("displayName")) {
            body.put("displayName", "Druva inSync");
        }
        if (select.isEmpty() || select.contains("appRoles")) {
            ArrayNode roles = body.putArray("appRoles");
            directory.appRoles().forEach(roles::add);
        }
        return json(exchange, 200, body);
    }

    private int delta(HttpExchange exchange, String resource, Map<String, String> query) throws IOException {
        String skip = query.get("$skiptoken");
        if (skip != null) {
            int dot = skip.lastIndexOf('.');
            DeltaSession session = dot < 0 ? null : sessions.get(skip.substring(0, dot));
            if (session == null || !session.resource().equals(resource)) {
                return error(exchange, 400, "Request_BadRequest", "The skip token is not valid.");
            }
            return page(exchange, resource, skip.substring(0, dot), session, Integer.parseInt(skip.substring(dot + 1)));
        }
        Long since = null;
        Set<String> select = select(query.get("$select"));
        String deltaTokenId = query.get("$deltatoken");
        if (deltaTokenId != null) {
            DeltaToken token = deltaTokens.get(deltaTokenId);
            if (token == null || !token.resource().equals(resource)) {
                return error(exchange, 400, "Request_BadRequest", "The delta token is not valid.");
            }
            if (token.expired()) {
                exchange.getResponseHeaders().set("Location", baseUrl() + "/" + resource + "/delta");
                return error(exchange, 410, "syncStateNotFound",
                        "The sync state for this delta token was not found; restart with a full synchronization.");
            }
            since = token.position();
            if (!query.containsKey("$select")) {
                select = token.select();
            }
        }
        boolean minimal = "return=minimal".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Prefer"));
        List<ObjectNode> items;
        long position;
        synchronized (directory) {
            position = directory.position();
            items = resource.equals("users")
                    ? directory.usersDelta(since, select, minimal)
                    : directory.groupsDelta(since, select, options.deltaPageSize());
        }
        String next = UUID.randomUUID().toString();
        deltaTokens.put(next, new DeltaToken(resource, position, select, false));
        String sessionId = UUID.randomUUID().toString();
        DeltaSession session = new DeltaSession(resource, items, next);
        sessions.put(sessionId, session);
        return page(exchange, resource, sessionId, session, 0);
    }

    private int page(HttpExchange exchange, String resource, String sessionId, DeltaSession session, int page)
            throws IOException {
        int size = options.deltaPageSize();
        int from = page * size;
        List<ObjectNode> items = session.items();
        ObjectNode body = mapper.createObjectNode();
        body.put("@odata.context", baseUrl() + "/$metadata#" + resource);
        if (from + size < items.size()) {
            body.put("@odata.nextLink", baseUrl() + "/" + resource + "/delta?$skiptoken="
                    + URLEncoder.encode(sessionId + "." + (page + 1), StandardCharsets.UTF_8));
        } else {
            body.put("@odata.deltaLink", baseUrl() + "/" + resource + "/delta?$deltatoken="
                    + URLEncoder.encode(session.deltaToken(), StandardCharsets.UTF_8));
            sessions.remove(sessionId);
        }
        ArrayNode value = body.putArray("value");
        items.subList(Math.min(from, items.size()), Math.min(items.size(), from + size)).forEach(value::add);
        return json(exchange, 200, body);
    }

    private static Set<String> select(String select) {
        if (select == null || select.isBlank()) {
            return Set.of();
        }
        Set<String> names = new LinkedHashSet<>();
        Arrays.stream(select.split(",")).map(String::trim).filter(s -> !s.isEmpty() && !s.equals("id"))
                .forEach(names::add);
        return names;
    }

    // ---------------------------------------------------------------- responses

    private int error(HttpExchange exchange, int status, String code, String message) throws IOException {
        ObjectNode body = mapper.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("code", code);
        error.put("message", message);
        ObjectNode inner = error.putObject("innerError");
        inner.put("date", Instant.now().toString());
        inner.put("request-id", UUID.randomUUID().toString());
        return json(exchange, status, body);
    }

    private int oauthError(HttpExchange exchange, int status, String code, String description) throws IOException {
        ObjectNode body = mapper.createObjectNode();
        body.put("error", code);
        body.put("error_description", description);
        body.putArray("error_codes");
        body.put("timestamp", Instant.now().toString());
        body.put("trace_id", UUID.randomUUID().toString());
        return json(exchange, status, body);
    }

    private int json(HttpExchange exchange, int status, ObjectNode body) throws IOException {
        byte[] bytes = mapper.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        drain(exchange.getRequestBody());
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
        return status;
    }

    private static void drain(InputStream in) throws IOException {
        in.readAllBytes();
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> params = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.put(name, value);
        }
        return params;
    }

    /**
     * Server options, immutable; each setter-style method returns a changed copy.
     *
     * @param host the address to bind; default {@code 127.0.0.1}
     * @param port the port; 0 (default) picks a free one
     * @param tenantId the tenant whose token endpoint answers; default a fixed GUID
     * @param clientId the app registration's client id; default a fixed GUID
     * @param clientSecret its client secret; default {@code graph-local-secret}
     * @param servicePrincipalId the provisioned app's service principal; default a fixed GUID
     * @param tokenLifetime how long access tokens live; default 1 hour
     * @param deltaPageSize objects per delta page (and members per group item); default 200, as Graph
     * @param assignmentPageSize assignments per page; default 100, as Graph
     */
    public record Options(String host, int port, String tenantId, String clientId, String clientSecret,
            String servicePrincipalId, Duration tokenLifetime, int deltaPageSize, int assignmentPageSize) {

        public Options {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(tenantId, "tenantId");
            Objects.requireNonNull(clientId, "clientId");
            Objects.requireNonNull(clientSecret, "clientSecret");
            Objects.requireNonNull(servicePrincipalId, "servicePrincipalId");
            Objects.requireNonNull(tokenLifetime, "tokenLifetime");
            if (deltaPageSize < 1 || assignmentPageSize < 1) {
                throw new IllegalArgumentException("page sizes must be positive");
            }
        }

        public static Options defaults() {
            return new Options("127.0.0.1", 0, "5f3c1a9e-2b4d-4e6f-8a1b-9c0d2e3f4a5b",
                    "0b8e6c2a-7d4f-4a1e-9b3c-5d6e7f8a9b0c", "graph-local-secret",
                    "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f", Duration.ofHours(1), 200, 100);
        }

        public Options host(String host) {
            return new Options(host, port, tenantId, clientId, clientSecret, servicePrincipalId, tokenLifetime,
                    deltaPageSize, assignmentPageSize);
        }

        public Options port(int port) {
            return new Options(host, port, tenantId, clientId, clientSecret, servicePrincipalId, tokenLifetime,
                    deltaPageSize, assignmentPageSize);
        }

        public Options tenantId(String tenantId) {
            return new Options(host, port, tenantId, clientId, clientSecret, servicePrincipalId, tokenLifetime,
                    deltaPageSize, assignmentPageSize);
        }

        public Options clientId(String clientId) {
            return new Options(host, port, tenantId, clientId, clientSecret, servicePrincipalId, tokenLifetime,
                    deltaPageSize, assignmentPageSize);
        }

        public Options clientSecret(String clientSecret) {
            return new Options(host, port, tenantId, clientId, clientSecret, servicePrincipalId, tokenLifetime,
                    deltaPageSize, assignmentPageSize);
        }

        public Options servicePrincipalId(String servicePrincipalId) {
            return new Options(host, port, tenantId, clientId, clientSecret, servicePrincipalId, tokenLifetime,
                    deltaPageSize, assignmentPageSize);
        }

        public Options tokenLifetime(Duration tokenLifetime) {
            return new Options(host, port, tenantId, clientId, clientSecret, servicePrincipalId, tokenLifetime,
                    deltaPageSize, assignmentPageSize);
        }

        public Options deltaPageSize(int deltaPageSize) {
            return new Options(host, port, tenantId, clientId, clientSecret, servicePrincipalId, tokenLifetime,
                    deltaPageSize, assignmentPageSize);
        }

        public Options assignmentPageSize(int assignmentPageSize) {
            return new Options(host, port, tenantId, clientId, clientSecret, servicePrincipalId, tokenLifetime,
                    deltaPageSize, assignmentPageSize);
        }

        /** Hides the secret if options are ever printed. */
        @Override
        public String toString() {
            return "Options[host=" + host + ", port=" + port + ", tenantId=" + tenantId + ", clientId=" + clientId
                    + ", clientSecret=***, servicePrincipalId=" + servicePrincipalId + "]";
        }
    }
}
