package dev.provisioning.detector.config;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import dev.provisioning.events.job.SecretCipher;

/** The cipher for job secrets, from {@code provisioning.secret-key} (base64 of 32 bytes; required). */
public class SecretCipherProducer {

    @Produces
    @ApplicationScoped
    SecretCipher cipher(@ConfigProperty(name = "provisioning.secret-key") String key) {
        try {
            return SecretCipher.fromBase64(key);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("provisioning.secret-key (PROVISIONING_SECRET_KEY): " + e.getMessage());
        }
    }
}
