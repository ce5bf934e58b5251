package dev.provisioning.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** Paths of the repository the tests check (the build passes its root as {@code repository.root}). */
final class Repository {

    static final Path ROOT = root();
    static final Path DEPLOY = ROOT.resolve("deploy");

    private Repository() {
    }

    private static Path root() {
        String configured = System.getProperty("repository.root");
        Path root = configured != null && !configured.isBlank()
                ? Path.of(configured)
                : Path.of("").toAbsolutePath().getParent();
        if (!Files.isDirectory(root.resolve("deploy"))) {
            throw new IllegalStateException("no deploy/ folder under " + root + ": run the tests from the repository");
        }
        return root.toAbsolutePath().normalize();
    }
}
