package dev.provisioning.telemetry;

/**
 * Tag names every service uses alike (deploy/METRICS.md, "Rules every meter follows").
 */
public final class MeterTags {

    /**
     * The provisioning job's id (the UUID of {@code /jobs/{id}}). Never {@code job}: Prometheus sets {@code job} to
     * the scrape job and renames a meter's own {@code job} to {@code exported_job}, so every {@code by (job)} would
     * group by scrape job.
     */
    public static final String PROVISIONING_JOB = "provisioning_job";

    /** The Kafka consumer group of a {@code kafka.consumer.*} meter (added by {@link KafkaClientMeters}). */
    public static final String CONSUMER_GROUP = "consumer_group";

    private MeterTags() {
    }
}
