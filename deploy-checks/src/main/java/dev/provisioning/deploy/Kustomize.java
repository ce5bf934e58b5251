package dev.provisioning.deploy;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Renders a kustomization with a real kustomize: {@code kubectl kustomize DIR} (kubectl's built-in kustomize; Debian's
 * {@code kubernetes-client} package has v2.0.3, current kubectl v5), or the standalone {@code kustomize build DIR}.
 * The command comes from the environment variable {@code KUSTOMIZE} (e.g. {@code "kustomize build"}), else the first
 * of {@code kubectl} and {@code kustomize} on the {@code PATH}.
 */
public final class Kustomize {

    private final List<String> command;

    private Kustomize(List<String> command) {
        this.command = command;
    }

    /** The kustomize this machine has, if any. */
    public static Optional<Kustomize> find() {
        String configured = System.getenv("KUSTOMIZE");
        if (configured != null && !configured.isBlank()) {
            return Optional.of(new Kustomize(List.of(configured.trim().split("\\s+"))));
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "kubectl"))) {
                return Optional.of(new Kustomize(List.of(Path.of(dir, "kubectl").toString(), "kustomize")));
            }
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "kustomize"))) {
                return Optional.of(new Kustomize(List.of(Path.of(dir, "kustomize").toString(), "build")));
            }
        }
        return Optional.empty();
    }

    /** The command line used, for messages. */
    public String command() {
        return String.join(" ", command);
    }

    /** The version it reports ({@code kubectl version --client} or {@code kustomize version}), for messages. */
    public String version() {
        List<String> version = command.get(command.size() - 1).equals("kustomize")
                ? List.of(command.get(0), "version", "--client")
                : List.of(command.get(0), "version");
        try {
            return run(version, null).strip().replace('\n', ' ');
        } catch (RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /**
     * Renders {@code directory}.
     *
     * @return every object of the output, in order, as SnakeYAML maps
     * @throws IllegalStateException with kustomize's error output when it fails
     */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> render(Path directory) {
        List<String> line = new ArrayList<>(command);
        line.add(directory.toString());
        String yaml = run(line, directory);
        List<Map<String, Object>> objects = new ArrayList<>();
        for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(yaml)) {
            if (document != null) {
                objects.add((Map<String, Object>) document);
            }
        }
        return objects;
    }

    private static String run(List<String> line, Path directory) {
        try {
            Process process = new ProcessBuilder(line)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            CompletableFuture<String> out = read(process.getInputStream());
            CompletableFuture<String> err = read(process.getErrorStream());
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", line) + " did not finish in 2 minutes");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", line) + " failed (exit " + process.exitValue()
                        + "): " + err.join());
            }
            return out.join();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while rendering " + directory, e);
        }
    }

    private static CompletableFuture<String> read(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
