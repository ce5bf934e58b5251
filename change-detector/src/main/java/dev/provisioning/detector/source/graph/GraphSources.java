package dev.provisioning.detector.source.graph;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.oidc.client.OidcClients;

import dev.provisioning.detector.source.DirectorySource;
import dev.provisioning.detector.source.SourceException;
import dev.provisioning.events.job.GraphSource;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.SecretCipher;

/**
 * Makes the Microsoft Graph source of a job for one cycle. Each job gets its own OIDC client (and so its own token),
 * kept across cycles while the job's tenant, app and secret stay the same, and replaced when they change.
 */
@ApplicationScoped
public class GraphSources {

    private final OidcClients oidcClients;
    private final SecretCipher cipher;
    private final GraphMirrorRepository repository;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final Map<String, JobTokens> tokens = new ConcurrentHashMap<>();
    private final AtomicLong clients = new AtomicLong();

    /** A job's token source and what it was made from (the encrypted secret, never the clear one). */
    private record JobTokens(GraphSource config, OidcAccessTokens tokens) {
    }

    public GraphSources(OidcClients oidcClients, SecretCipher cipher, GraphMirrorRepository repository) {
        this.oidcClients = oidcClients;
        this.cipher = cipher;
        this.repository = repository;
    }

    /**
     * @throws SourceException when the job's Graph settings are incomplete or its secret cannot be decrypted
     */
    public DirectorySource forJob(JobConfig job) {
        GraphSource graph = job.source().graph();
        if (graph == null) {
            throw new SourceException("job " + job.jobId() + ": source MICROSOFT_GRAPH has no graph settings");
        }
        required(job, "tenantId", graph.tenantId());
        required(job, "clientId", graph.clientId());
        required(job, "servicePrincipalId", graph.servicePrincipalId());
        if (graph.clientSecret() == null) {
            throw new SourceException("job " + job.jobId() + ": source.graph.clientSecret is not set");
        }
        OidcAccessTokens jobTokens = tokens.compute(job.jobId(), (id, current) -> {
            if (current != null && current.config().equals(graph)) {
                return current;
            }
            if (current != null) {
                current.tokens().close();
            }
            return new JobTokens(graph,
                    new OidcAccessTokens(oidcClients, "graph-" + id + "-" + clients.incrementAndGet(),
                            graph.tenantId(), graph.authorityUrl(), graph.clientId(), decrypt(id, graph),
                            graph.graphUrl()));
        }).tokens();
        return new GraphDirectorySource(job.jobId(), graph, new GraphClient(http, jobTokens, job.jobId(),
                graph.tenantId()), repository);
    }

    /** Forgets a job's token, e.g. when the job is deleted. */
    public void forgetJob(String jobId) {
        JobTokens removed = tokens.remove(jobId);
        if (removed != null) {
            removed.tokens().close();
        }
    }

    private String decrypt(String jobId, GraphSource graph) {
        try {
            return cipher.decrypt(graph.clientSecret());
        } catch (IllegalArgumentException e) {
            throw new SourceException(
                    "job " + jobId + ": the Graph client secret cannot be decrypted: " + e.getMessage());
        }
    }

    private static void required(JobConfig job, String field, String value) {
        if (value == null || value.isBlank()) {
            throw new SourceException("job " + job.jobId() + ": source.graph." + field + " is not set");
        }
    }

    @PreDestroy
    void close() {
        tokens.values().forEach(t -> t.tokens().close());
        tokens.clear();
    }
}
