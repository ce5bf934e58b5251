package dev.provisioning.events.job;

/**
 * A secret encrypted with AES-GCM under the deployment's provisioning key ({@link SecretCipher}). This is the only form
 * in which a secret is stored, published or passed between services.
 *
 * @param keyId which key encrypted it (a fingerprint, not the key)
 * @param ciphertext base64 of IV and ciphertext
 */
public record EncryptedSecret(String keyId, String ciphertext) {

    @Override
    public String toString() {
        return "EncryptedSecret[keyId=" + keyId + "]";
    }
}
