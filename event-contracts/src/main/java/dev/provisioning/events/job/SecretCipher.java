package dev.provisioning.events.job;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts and decrypts job secrets (the Druva token, the Graph client secret) with AES-256-GCM. Every service that
 * needs a secret in clear is given the same key ({@code PROVISIONING_SECRET_KEY}, base64 of 32 bytes).
 */
public final class SecretCipher {

    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;
    private final String keyId;

    private SecretCipher(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException(
                    "the provisioning secret key must be 32 bytes (base64), got " + key.length);
        }
        this.key = new SecretKeySpec(key, "AES");
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key);
            this.keyId = HexFormat.of().formatHex(digest, 0, 6);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A cipher for a base64-encoded 32-byte key.
     *
     * @throws IllegalArgumentException naming the problem (never the key)
     */
    public static SecretCipher fromBase64(String base64Key) {
        if (base64Key == null || base64Key.isBlank()) {
            throw new IllegalArgumentException("the provisioning secret key is not set");
        }
        try {
            return new SecretCipher(Base64.getDecoder().decode(base64Key.trim()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the provisioning secret key is not valid base64 of 32 bytes", e);
        }
    }

    /** A new random key, base64-encoded, for local runs and tests. */
    public static String generateKey() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    public String keyId() {
        return keyId;
    }

    public EncryptedSecret encrypt(String clear) {
        try {
            byte[] iv = new byte[IV_BYTES];
            RANDOM.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            byte[] sealed = cipher.doFinal(clear.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[IV_BYTES + sealed.length];
            System.arraycopy(iv, 0, out, 0, IV_BYTES);
            System.arraycopy(sealed, 0, out, IV_BYTES, sealed.length);
            return new EncryptedSecret(keyId, Base64.getEncoder().encodeToString(out));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encrypt secret", e);
        }
    }

    /**
     * @throws IllegalArgumentException when the secret was encrypted with another key or was tampered with
     */
    public String decrypt(EncryptedSecret secret) {
        if (!keyId.equals(secret.keyId())) {
            throw new IllegalArgumentException(
                    "secret was encrypted with key " + secret.keyId() + ", this service has key " + keyId);
        }
        try {
            byte[] in = Base64.getDecoder().decode(secret.ciphertext());
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, in, 0, IV_BYTES));
            return new String(cipher.doFinal(in, IV_BYTES, in.length - IV_BYTES), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("secret cannot be decrypted (wrong key or tampered)", e);
        }
    }
}
