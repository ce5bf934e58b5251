package dev.provisioning.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.provisioning.demo.LocalSystem;

/**
 * The benchmark's command line. Every option has a default for the full run; {@code --quick} changes the defaults to a
 * few hundred users so that every scenario's code path runs in well under two minutes (the integration test).
 *
 * @param quick the small variant
 * @param scenarios the scenarios to run, in their fixed order
 * @param users directory sizes of the unlimited initial sync, one run each (the incremental scenario uses the largest)
 * @param limitedUsers directory size of the limited initial sync
 * @param faultsUsers directory size of the faults scenario; 0: the smallest of {@code users} (so time lost compares
 *        like with like)
 * @param replicasUsers directory size of the unlimited two-replica run; 0: the smallest of {@code users}
 * @param replicasLimitedUsers directory size of the limited two-replica run
 * @param warmupUsers a first, unreported initial sync that warms the JIT and the connection pools; 0: none
 * @param groups groups in every generated directory
 * @param changesPerSecond the incremental scenario's rate of changes to the source
 * @param changesDuration how long the incremental scenario makes changes
 * @param incrementalInterval the cycle interval of the job during the incremental scenario
 * @param limitPerSecond the Druva-compatible server's rate limit in the limited scenarios (and the writer's)
 * @param limitLatency the Druva-compatible server's latency in the limited scenarios
 * @param serverErrorRatio the share of requests answered 500/503 in the faults scenario
 * @param burstEvery how often a burst of 429 starts in the faults scenario
 * @param burstLength how long each burst of 429 lasts
 * @param seed the seed of every generated directory and change sequence
 * @param jfr record a JFR profile of every service and the launcher per scenario
 * @param timeout the ceiling of one scenario; null: 5 minutes plus 20 ms per user
 * @param jvmOptions the services' JVM flags
 * @param serviceJvmOptions JVM flags of one service instead of {@code jvmOptions}
 * @param isolationUsers users per job in the isolation scenario (every phase, every job)
 * @param isolationRate the rate limit of each isolation tenant and the writer's tenant budget, requests/s
 * @param output where result.json, result.md, the directories, logs and profiles go; null: {@code bench/target/bench}
 */
public record BenchOptions(boolean quick, Set<Scenario> scenarios, List<Integer> users, int limitedUsers,
        int faultsUsers, int replicasUsers, int replicasLimitedUsers, int warmupUsers, int groups,
        double changesPerSecond, Duration changesDuration, Duration incrementalInterval, double limitPerSecond,
        Duration limitLatency, double serverErrorRatio, Duration burstEvery, Duration burstLength, long seed,
        boolean jfr, Duration timeout, List<String> jvmOptions, Map<String, List<String>> serviceJvmOptions,
        int isolationUsers, double isolationRate, Path output) {

    /** The scenarios, in the order they run. */
    public enum Scenario {
        INITIAL_UNLIMITED("initial-unlimited"), INCREMENTAL("incremental"), FAULTS("faults"), REPLICAS(
                "replicas"), INITIAL_LIMITED("initial-limited"), ISOLATION("isolation");

        private final String label;

        Scenario(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        static Scenario of(String label) {
            for (Scenario s : values()) {
                if (s.label.equals(label)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("unknown scenario '" + label + "'; scenarios are "
                    + Arrays.stream(values()).map(Scenario::label).toList());
        }
    }

    static final String USAGE = """
            java -jar bench/target/bench.jar [options]
              --quick                      a few hundred users, every scenario small (well under 2 minutes)
              --scenario A,B               initial-unlimited, incremental, faults, replicas, initial-limited,
                                           isolation (default: all)
              --users N,M                  directory sizes of the unlimited initial sync (default 10000,100000)
              --limited-users N            limited initial sync (default 2500)
              --faults-users N             faults scenario (default: the smallest --users)
              --replicas-users N           two replicas, unlimited (default: the smallest --users)
              --replicas-limited-users N   two replicas, limited (default 1000)
              --warmup-users N             unreported warm-up sync first (default 2000; 0: none)
              --groups N                   groups per directory (default 20; one holds half the users)
              --changes-per-second R       incremental changes to the source (default 10)
              --changes-duration D         how long (default 2m)
              --cycle-interval D           the job's cycle interval while changes come in (default 5s)
              --limit R                    Druva rate limit of the limited scenarios, requests/s (default 25)
              --limit-latency D            Druva latency of the limited scenarios (default 100ms)
              --server-errors F            share of 500/503 in the faults scenario (default 0.3)
              --burst-every D, --burst-length D   429 bursts in the faults scenario (default 10s, 1s)
              --isolation-users N          users per job of the isolation scenario: alone, six healthy jobs,
                                           ten jobs with four faulty, alone again (default 1000)
              --isolation-rate R           each isolation tenant's rate limit and the writer's budget,
                                           requests/s (default 25)
              --seed N                     (default 42)
              --jfr                        a JFR profile per service and scenario (settings=profile), summarised
              --timeout D                  ceiling of one scenario (default 5m + 20ms per user)
              --jvm-options "FLAGS"        every service's JVM flags (default: the deployment's, %s
                                           with each pod's memory limit as MaxRAM, %s;
                                           --quick: the run command's, with C1 only)
              --jvm-options-for SERVICE "FLAGS"   one service's flags
              --output DIR                 (default bench/target/bench)
            Durations: 500ms, 90s, 2m, 1h or ISO-8601 (PT2M).
            """.formatted(String.join(" ", LocalSystem.DEPLOYMENT_JVM_OPTIONS), memoryLimits());

    private static String memoryLimits() {
        StringBuilder limits = new StringBuilder();
        LocalSystem.DEPLOYMENT_MEMORY_LIMITS_MIB.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> limits.append(limits.isEmpty() ? "" : ", ").append(e.getKey()).append(' ')
                        .append(e.getValue()).append(" MiB"));
        return limits.toString();
    }

    public BenchOptions {
        scenarios = scenarios.isEmpty() ? EnumSet.noneOf(Scenario.class) : EnumSet.copyOf(scenarios);
        users = users.stream().sorted().distinct().toList();
        jvmOptions = List.copyOf(jvmOptions);
        serviceJvmOptions = Map.copyOf(serviceJvmOptions);
        if (users.isEmpty() || users.get(0) < 1) {
            throw new IllegalArgumentException("--users needs at least one positive size");
        }
        for (int n : List.of(limitedUsers, faultsUsers, replicasUsers, replicasLimitedUsers, warmupUsers)) {
            if (n < 0) {
                throw new IllegalArgumentException("user counts must not be negative");
            }
        }
        if (groups < 1) {
            throw new IllegalArgumentException("--groups must be at least 1");
        }
        if (changesPerSecond <= 0 || serverErrorRatio < 0 || serverErrorRatio > 1 || limitPerSecond <= 0) {
            throw new IllegalArgumentException("--changes-per-second and --limit must be positive, "
                    + "--server-errors in 0..1");
        }
        if (isolationUsers < 2 || isolationRate <= 0) {
            throw new IllegalArgumentException("--isolation-users must be at least 2 and --isolation-rate positive");
        }
    }

    /** The full run's defaults. */
    public static BenchOptions defaults() {
        return new BenchOptions(false, EnumSet.allOf(Scenario.class), List.of(10_000, 100_000), 2_500, 0, 0, 1_000,
                2_000, 20, 10, Duration.ofMinutes(2), Duration.ofSeconds(5), 25, Duration.ofMillis(100), 0.3,
                Duration.ofSeconds(10), Duration.ofSeconds(1), 42, false, null, LocalSystem.DEPLOYMENT_JVM_OPTIONS,
                deploymentJvmOptions(), 1_000, 25, null);
    }

    /** Each service's deployment flags, with its own pod's memory limit ({@link LocalSystem#deploymentJvmOptions}). */
    private static Map<String, List<String>> deploymentJvmOptions() {
        Map<String, List<String>> flags = new LinkedHashMap<>();
        for (String service : LocalSystem.DEPLOYMENT_MEMORY_LIMITS_MIB.keySet()) {
            flags.put(service, LocalSystem.deploymentJvmOptions(service));
        }
        return flags;
    }

    /**
     * The quick variant's defaults: every scenario, a few hundred users, 6 s of changes, and the launcher's JVM flags
     * (C1 only), which start the services in less CPU: the quick variant proves the harness, its figures mean nothing.
     */
    public static BenchOptions quickDefaults() {
        return new BenchOptions(true, EnumSet.allOf(Scenario.class), List.of(200), 50, 0, 0, 50, 0, 20, 10,
                Duration.ofSeconds(6), Duration.ofSeconds(5), 25, Duration.ofMillis(100), 0.3,
                Duration.ofSeconds(10), Duration.ofSeconds(1), 42, false, Duration.ofMinutes(3),
                LocalSystem.LAUNCHER_JVM_OPTIONS, Map.of(), 40, 25, null);
    }

    /**
     * Parses the command line.
     *
     * @throws IllegalArgumentException naming the option that is wrong
     */
    public static BenchOptions parse(String... args) {
        boolean quick = Arrays.asList(args).contains("--quick");
        BenchOptions o = quick ? quickDefaults() : defaults();
        Set<Scenario> scenarios = o.scenarios;
        List<Integer> users = o.users;
        int limited = o.limitedUsers, faults = o.faultsUsers, replicas = o.replicasUsers,
                replicasLimited = o.replicasLimitedUsers, warmup = o.warmupUsers, groups = o.groups;
        double rate = o.changesPerSecond, limit = o.limitPerSecond, errors = o.serverErrorRatio;
        Duration changes = o.changesDuration, interval = o.incrementalInterval, latency = o.limitLatency,
                every = o.burstEvery, length = o.burstLength, timeout = o.timeout;
        long seed = o.seed;
        boolean jfr = o.jfr;
        List<String> jvm = o.jvmOptions;
        Map<String, List<String>> jvmFor = new LinkedHashMap<>(o.serviceJvmOptions);
        // --jvm-options sets every service's flags: the per-service defaults give way, --jvm-options-for does not
        Set<String> namedServices = new HashSet<>();
        int isolationUsers = o.isolationUsers;
        double isolationRate = o.isolationRate;
        Path output = o.output;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            switch (option) {
                case "--quick" -> {
                }
                case "--jfr" -> jfr = true;
                case "--help", "-h" -> throw new HelpRequested();
                case "--jvm-options-for" -> {
                    String service = value(args, i++, option);
                    jvmFor.put(service, flags(value(args, i++, option)));
                    namedServices.add(service);
                }
                default -> {
                    String v = value(args, i++, option);
                    try {
                        switch (option) {
                            case "--scenario", "--scenarios" -> {
                                scenarios = EnumSet.noneOf(Scenario.class);
                                for (String s : v.split(",")) {
                                    scenarios.add(Scenario.of(s.trim()));
                                }
                            }
                            case "--users" -> users = Arrays.stream(v.split(",")).map(String::trim)
                                    .map(Integer::parseInt).toList();
                            case "--limited-users" -> limited = Integer.parseInt(v);
                            case "--faults-users" -> faults = Integer.parseInt(v);
                            case "--replicas-users" -> replicas = Integer.parseInt(v);
                            case "--replicas-limited-users" -> replicasLimited = Integer.parseInt(v);
                            case "--warmup-users" -> warmup = Integer.parseInt(v);
                            case "--groups" -> groups = Integer.parseInt(v);
                            case "--changes-per-second" -> rate = Double.parseDouble(v);
                            case "--changes-duration" -> changes = duration(v);
                            case "--cycle-interval" -> interval = duration(v);
                            case "--limit" -> limit = Double.parseDouble(v);
                            case "--limit-latency" -> latency = duration(v);
                            case "--server-errors" -> errors = Double.parseDouble(v);
                            case "--burst-every" -> every = duration(v);
                            case "--burst-length" -> length = duration(v);
                            case "--seed" -> seed = Long.parseLong(v);
                            case "--timeout" -> timeout = duration(v);
                            case "--jvm-options" -> {
                                jvm = flags(v);
                                jvmFor.keySet().retainAll(namedServices);
                            }
                            case "--isolation-users" -> isolationUsers = Integer.parseInt(v);
                            case "--isolation-rate" -> isolationRate = Double.parseDouble(v);
                            case "--output" -> output = Path.of(v).toAbsolutePath();
                            default -> throw new IllegalArgumentException("unknown option " + option);
                        }
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(option + ": not a number: " + v);
                    }
                }
            }
        }
        return new BenchOptions(quick, scenarios, users, limited, faults, replicas, replicasLimited, warmup, groups,
                rate, changes, interval, limit, latency, errors, every, length, seed, jfr, timeout, jvm, jvmFor,
                isolationUsers, isolationRate, output);
    }

    /** The size the faults scenario uses. */
    public int faultsSize() {
        return faultsUsers > 0 ? faultsUsers : users.get(0);
    }

    /** The size the unlimited two-replica run uses. */
    public int replicasSize() {
        return replicasUsers > 0 ? replicasUsers : users.get(0);
    }

    /** The ceiling of one scenario over a directory of {@code n} users. */
    public Duration timeoutFor(int n) {
        return timeout != null ? timeout : Duration.ofMinutes(5).plusMillis(20L * n);
    }

    public boolean runs(Scenario scenario) {
        return scenarios.contains(scenario);
    }

    /** Asked for {@code --help}. */
    static final class HelpRequested extends RuntimeException {
        HelpRequested() {
            super(USAGE, null, false, false);
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i + 1 >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i + 1];
    }

    private static List<String> flags(String value) {
        List<String> flags = new ArrayList<>();
        for (String f : value.trim().split("\\s+")) {
            if (!f.isEmpty()) {
                flags.add(f);
            }
        }
        return flags;
    }

    /** {@code 500ms}, {@code 90s}, {@code 2m}, {@code 1h} or ISO-8601. */
    static Duration duration(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.startsWith("pt") || v.startsWith("p")) {
                return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
            }
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            long n = Long.parseLong(v.substring(0, v.length() - 1));
            return switch (v.charAt(v.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new IllegalArgumentException("not a duration: " + value);
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a duration (500ms, 90s, 2m, 1h, PT2M): " + value);
        }
    }
}
