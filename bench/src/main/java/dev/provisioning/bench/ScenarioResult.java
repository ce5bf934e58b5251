package dev.provisioning.bench;

import java.util.List;
import java.util.Map;

/**
 * One scenario's figures, as written to {@code result.json}. Fields that do not apply to a scenario's kind are null
 * (for example {@code latency} outside the incremental scenario).
 *
 * @param name the scenario's name in the tables, e.g. {@code initial-unlimited-10000}
 * @param kind {@code initial-unlimited}, {@code initial-limited}, {@code incremental}, {@code faults},
 *        {@code replicas} or {@code replicas-limited}
 * @param status {@code ok} (Druva holds exactly what it should), {@code incomplete} (the system went quiet with
 *        differences left), {@code timed-out} or {@code failed}
 * @param error what went wrong, when not ok
 * @param settings the Druva-compatible server's and the services' settings that matter for the figures
 * @param directory the generated directory's shape
 * @param objects objects the first cycle sent (users and groups); for the incremental scenario, the changes made
 * @param usersCreated active users Druva holds at the end
 * @param memberships group memberships Druva holds at the end
 * @param seconds end to end: from the job's creation (incremental: the first change) until Druva holds every user and
 *        membership and the job's cycle is complete
 * @param objectsPerSecond {@code objects / seconds}
 * @param usersPerSecond {@code usersCreated / seconds} (null for the incremental scenario)
 * @param requests what the Druva-compatible server's request log says
 * @param services CPU and peak RSS per service, the launcher (Kafka broker + Druva-compatible server + the benchmark
 *        itself) and PostgreSQL, over the same window as {@code seconds}
 * @param cpuSecondsPer1000Objects CPU seconds per 1,000 objects, per service, plus {@code services} (the four
 *        services together) and {@code all} (everything measured)
 * @param machineBusyPercent the share of all cores that was busy (every process on the machine), over the window
 * @param latency the incremental scenario's change-to-Druva latency
 * @param diff Druva's final state against the directory
 * @param baseline the same records through the same broker, Kafka alone (initial-unlimited only)
 * @param comparison the faults scenario's time lost and the replicas scenarios' speed-up, against the unlimited run of
 *        the same size
 * @param cycles the job's cycles, oldest first, as its status API reports them
 * @param profiles the JFR recordings (with {@code --jfr}), by process
 */
public record ScenarioResult(String name, String kind, String status, String error, Map<String, Object> settings,
        Map<String, Integer> directory, long objects, long usersCreated, long memberships, Double seconds,
        Double objectsPerSecond, Double usersPerSecond, RequestStats requests, Map<String, UsageMeter.Usage> services,
        Map<String, Double> cpuSecondsPer1000Objects, Double machineBusyPercent, Latency latency, StateDiff diff,
        Baseline baseline, Comparison comparison, List<Map<String, Object>> cycles,
        Map<String, Profiler.Profile> profiles) {

    /**
     * Change-to-Druva latency: from the moment the directory file holds a change to the moment Druva holds it.
     *
     * @param byKind changes made, by kind
     * @param undelivered up to 10 changes that never reached Druva
     */
    public record Latency(int changes, int delivered, double changesPerSecond, Map<String, Integer> byKind,
            Double p50Ms, Double p90Ms, Double p99Ms, Double maxMs, List<String> undelivered) {
    }

    /**
     * The bus alone against the pipeline.
     *
     * @param secondsRatio the pipeline's end-to-end seconds over the baseline's
     * @param cpuRatio the pipeline's CPU (everything measured) over the baseline's (the launcher JVM)
     */
    public record Baseline(KafkaBaseline.Result kafka, Double secondsRatio, Double cpuRatio) {
    }

    /**
     * Against another scenario of the same size.
     *
     * @param reference the scenario compared with (null when it did not run)
     * @param timeLostSeconds this scenario's seconds minus the reference's (faults)
     * @param speedup the reference's seconds over this scenario's (replicas)
     */
    public record Comparison(String reference, Double referenceSeconds, Double timeLostSeconds, Double speedup) {
    }

    boolean ok() {
        return "ok".equals(status) && diff != null && diff.total() == 0;
    }
}
