package dev.provisioning.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.lang.JoseException;

/**
 * The token issuer of the local run and the tests: an RSA key pair made at start (per test JVM, per run of the run
 * command) that signs OAuth 2.0 access tokens (JWT, RS256) shaped like Entra ID's for the provisioning API: {@code iss},
 * {@code aud}, {@code sub}, {@code roles} (the app roles), {@code iat}, {@code nbf}, {@code exp}. The services trust its
 * public key through {@code quarkus.oidc.public-key} ({@link #serviceConfig()}); in production they trust Entra ID
 * instead (see the README). It only signs; checking tokens is left to Quarkus OIDC in each service.
 */
public final class LocalIssuer {

    /** The {@code iss} of every local token ({@code quarkus.oidc.token.issuer}). */
    public static final String ISSUER = "https://issuer.provisioning.localhost";
    /** The {@code aud} of every local token ({@code quarkus.oidc.token.audience}): the provisioning API. */
    public static final String AUDIENCE = "api://provisioning";

    /** Configures jobs and secrets, deletes, allows deletes; everything an operator and a reader may do. */
    public static final String ADMIN = "Provisioning.Admin";
    /** Starts, pauses, restarts, provisions on demand, tests connections; reads. */
    public static final String OPERATOR = "Provisioning.Operator";
    /** Reads jobs, status and provisioning logs. */
    public static final String READER = "Provisioning.Reader";
    /** The change-detector calling the scim-writer's internal API. */
    public static final String SERVICE = "Provisioning.Service";

    private final RsaJsonWebKey key;

    private LocalIssuer(RsaJsonWebKey key) {
        this.key = key;
    }

    /** A new issuer with a fresh 2048-bit RSA key pair. */
    public static LocalIssuer generate() {
        try {
            RsaJsonWebKey key = RsaJwkGenerator.generateJwk(2048);
            key.setKeyId("local-" + UUID.randomUUID());
            return new LocalIssuer(key);
        } catch (JoseException e) {
            throw new IllegalStateException("cannot generate an RSA key pair", e);
        }
    }

    /** Base64 of the X.509 SubjectPublicKeyInfo of the public key: the value of {@code quarkus.oidc.public-key}. */
    public String publicKey() {
        return Base64.getEncoder().encodeToString(key.getPublicKey().getEncoded());
    }

    /**
     * The Quarkus configuration that makes a service trust this issuer's tokens (and only tokens for the provisioning
     * API): its public key, issuer and audience.
     */
    public Map<String, String> serviceConfig() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("quarkus.oidc.public-key", publicKey());
        config.put("quarkus.oidc.token.issuer", ISSUER);
        config.put("quarkus.oidc.token.audience", AUDIENCE);
        return config;
    }

    /**
     * A signed access token for the provisioning API.
     *
     * @param subject the {@code sub} claim (who; audit and logs name it)
     * @param lifetime how long it is valid from now
     * @param roles the {@code roles} claim: app roles such as {@link #ADMIN}
     */
    public String token(String subject, Duration lifetime, String... roles) {
        return sign(claims(subject, AUDIENCE, lifetime, List.of(roles)));
    }

    /** A token valid for an hour: for tests. */
    public String token(String subject, String... roles) {
        return token(subject, Duration.ofHours(1), roles);
    }

    /** A token for another audience than the provisioning API's (a test of the audience check). */
    public String tokenForAudience(String audience, String subject, String... roles) {
        return sign(claims(subject, audience, Duration.ofHours(1), List.of(roles)));
    }

    /** A token that expired a minute ago (a test of the expiry check; beyond Quarkus' default clock skew). */
    public String expiredToken(String subject, String... roles) {
        JwtClaims claims = claims(subject, AUDIENCE, Duration.ofHours(1), List.of(roles));
        NumericDate past = NumericDate.now();
        past.addSeconds(-3600);
        claims.setIssuedAt(past);
        claims.setNotBefore(past);
        NumericDate expired = NumericDate.now();
        expired.addSeconds(-60 * 5);
        claims.setExpirationTime(expired);
        return sign(claims);
    }

    /**
     * Writes the public key ({@code issuer-public-key.pem}) and the private key ({@code issuer-private-key.pem},
     * readable by the owner only where the file system allows) under {@code directory}, so a local run's tokens can be
     * checked or more of them made with standard tools.
     */
    public void writeKeys(Path directory) throws IOException {
        Files.createDirectories(directory);
        Files.writeString(directory.resolve("issuer-public-key.pem"),
                pem("PUBLIC KEY", key.getPublicKey().getEncoded()));
        Path privateKey = directory.resolve("issuer-private-key.pem");
        Files.deleteIfExists(privateKey);
        Files.createFile(privateKey);
        restrictToOwner(privateKey);
        Files.writeString(privateKey, pem("PRIVATE KEY", key.getPrivateKey().getEncoded()));
    }

    /** Writes a secret file (a token) readable by the owner only where the file system allows. */
    public static void writeSecretFile(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.deleteIfExists(file);
        Files.createFile(file);
        restrictToOwner(file);
        Files.writeString(file, content);
    }

    private static void restrictToOwner(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the directory's own permissions apply
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static JwtClaims claims(String subject, String audience, Duration lifetime, List<String> roles) {
        JwtClaims claims = new JwtClaims();
        claims.setIssuer(ISSUER);
        claims.setAudience(audience);
        claims.setSubject(subject);
        claims.setGeneratedJwtId();
        claims.setIssuedAtToNow();
        NumericDate notBefore = NumericDate.now();
        notBefore.addSeconds(-60);
        claims.setNotBefore(notBefore);
        NumericDate expires = NumericDate.now();
        expires.addSeconds(lifetime.toSeconds());
        claims.setExpirationTime(expires);
        claims.setStringListClaim("roles", roles);
        return claims;
    }

    private String sign(JwtClaims claims) {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setKey(key.getPrivateKey());
        jws.setKeyIdHeaderValue(key.getKeyId());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
        jws.setHeader("typ", "JWT");
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException("cannot sign a token", e);
        }
    }
}
