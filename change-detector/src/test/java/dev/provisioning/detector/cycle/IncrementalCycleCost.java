package dev.provisioning.detector.cycle;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgPool;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;

import dev.provisioning.detector.persistence.ManagedObjectRepository;
import dev.provisioning.detector.persistence.SnapshotRepository;
import dev.provisioning.detector.persistence.SnapshotRepository.Snapshot;
import dev.provisioning.detector.source.Directory;
import dev.provisioning.detector.source.DirectoryFileSource;
import dev.provisioning.events.Json;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.job.ProvisioningScope;
import dev.provisioning.localstack.LocalPostgres;

/**
 * A detector-level measurement of an incremental cycle's CPU on a generated directory file (not a test): the shape of
 * the benchmark's tenant (20 groups, all assigned, one holding half of the users, the rest by Zipf; users in no group
 * and a fifth of the others assigned directly), 10 changes a cycle (7 renames, 3 new users each in a group), and
 * per phase the process CPU (ms) of the read, the managed objects' read from an embedded PostgreSQL, and the plan.
 * Run with
 * {@code java -cp <test classpath> dev.provisioning.detector.cycle.IncrementalCycleCost [users] [cycles] [walk]}
 * ({@code walk}: every cycle walks every object, as before {@link PlanMemo}; add
 * {@code -XX:StartFlightRecording=filename=x.jfr,settings=profile} to profile, {@code -Dcost.histogram=true} for a
 * class histogram of the live set at the end).
 */
public final class IncrementalCycleCost {

    private static final String JOB = "job-1";
    /** The structures whose live set is measured: the plan memo, the snapshot, the managed objects, the source. */
    private static final Object[] HELD = new Object[4];

    private IncrementalCycleCost() {
    }

    /** Runs {@link #measure}, then exits (the embedded PostgreSQL's and Vert.x's threads would keep the JVM up). */
    public static void main(String[] args) {
        int status = 0;
        try {
            measure(args);
        } catch (Exception | Error e) {
            e.printStackTrace();
            status = 1;
        }
        System.exit(status);
    }

    private static void measure(String[] args) throws Exception {
        int userCount = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int cycles = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        boolean walk = args.length > 2 && args[2].equals("walk");
        Random random = new Random(13);
        List<Map<String, Object>> users = new ArrayList<>();
        for (int i = 0; i < userCount; i++) {
            users.add(user(i, random));
        }
        List<Map<String, Object>> groups = new ArrayList<>();
        List<Set<String>> members = new ArrayList<>();
        for (int g = 0; g < 20; g++) {
            members.add(new LinkedHashSet<>());
        }
        for (Map<String, Object> u : users) {
            if (random.nextDouble() < 0.5) {
                members.get(0).add((String) u.get("id"));
            }
        }
        double harmonic = 0;
        for (int k = 1; k < 20; k++) {
            harmonic += 1.0 / k;
        }
        for (int k = 1; k < 20; k++) {
            int size = (int) Math.round(userCount * 0.5 * (1.0 / k) / harmonic);
            while (members.get(k).size() < size) {
                members.get(k).add((String) users.get(random.nextInt(userCount)).get("id"));
            }
        }
        List<Map<String, Object>> assignments = new ArrayList<>();
        Set<String> inAGroup = new java.util.HashSet<>();
        members.forEach(inAGroup::addAll);
        for (Map<String, Object> u : users) {
            String id = (String) u.get("id");
            if (!inAGroup.contains(id) || random.nextDouble() < 0.2) {
                assignments.add(Map.of("principalId", id, "principalType", "User", "appRoleId", "r1"));
            }
        }
        for (int g = 0; g < 20; g++) {
            String id = UUID.nameUUIDFromBytes(("group-" + g).getBytes(StandardCharsets.UTF_8)).toString();
            groups.add(new LinkedHashMap<>(Map.of("id", id, "displayName", "team " + g, "members", members.get(g))));
            assignments.add(Map.of("principalId", id, "principalType", "Group", "appRoleId", "r1"));
        }
        Path file = Files.createTempDirectory("cycle-cost").resolve("directory.json");
        List<Map<String, Object>> appRoles = List.of(Map.of("id", "r1", "value", "User", "displayName", "User"));

        try (LocalPostgres pg = LocalPostgres.start(List.of("cost"))) {
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl("cost"), LocalPostgres.USER,
                    LocalPostgres.PASSWORD); Statement s = c.createStatement()) {
                // the tables migration V27 reads, with what they need only
                s.execute("CREATE SEQUENCE managed_version_seq");
                s.execute("CREATE TABLE managed_version (job_id VARCHAR(64) PRIMARY KEY, version BIGINT NOT NULL, "
                        + "origin BIGINT NOT NULL, horizon BIGINT NOT NULL DEFAULT 0)");
                s.execute("INSERT INTO managed_version VALUES ('" + JOB + "', 1, 1)");
                s.execute("CREATE TABLE managed_object (job_id VARCHAR(64) NOT NULL, object_id VARCHAR(128) NOT NULL,"
                        + " object_type VARCHAR(16) NOT NULL, display_name VARCHAR(512), version BIGINT NOT NULL "
                        + "DEFAULT 1, PRIMARY KEY (job_id, object_id))");
                s.execute("CREATE INDEX ON managed_object (job_id, version)");
                s.execute("CREATE TABLE managed_object_removal (job_id VARCHAR(64) NOT NULL, object_id VARCHAR(128) "
                        + "NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (job_id, object_id))");
                c.setAutoCommit(false);
                try (PreparedStatement p = c.prepareStatement("INSERT INTO managed_object VALUES (?,?,?,?,1)")) {
                    for (Map<String, Object> u : users) {
                        p.setString(1, JOB);
                        p.setString(2, (String) u.get("id"));
                        p.setString(3, "USER");
                        p.setString(4, (String) u.get("displayName"));
                        p.addBatch();
                    }
                    for (Map<String, Object> g : groups) {
                        p.setString(1, JOB);
                        p.setString(2, (String) g.get("id"));
                        p.setString(3, "GROUP");
                        p.setString(4, (String) g.get("displayName"));
                        p.addBatch();
                    }
                    p.executeBatch();
                }
                c.commit();
            }
            Vertx vertx = Vertx.vertx();
            Pool pool = PgPool.pool(vertx, PgConnectOptions.fromUri(pg.reactiveUrl("cost"))
                    .setUser(LocalPostgres.USER).setPassword(LocalPostgres.PASSWORD), new PoolOptions().setMaxSize(2));
            ManagedObjectsCache managedObjects = new ManagedObjectsCache(new ManagedObjectRepository(pool),
                    1_000_000, java.time.Duration.ofHours(1));
            Connection results = DriverManager.getConnection(pg.jdbcUrl("cost"), LocalPostgres.USER,
                    LocalPostgres.PASSWORD);
            List<String> created = new ArrayList<>();
            DirectoryFileSource source = new DirectoryFileSource(file, DirectoryFileSource.Limits.DEFAULT);
            Snapshot snapshot = new Snapshot(new HashMap<>(), new HashMap<>(), new HashMap<>());
            long[] read = new long[1];
            long[] managedRead = new long[1];
            long[] planned = new long[1];
            long[] allocated = new long[3];
            int next = userCount;
            PlanMemo memo = null;
            long generation = 1;
            int incremental = 0;
            int warmUp = Math.max(5, cycles / 2);
            for (int cycle = 0; cycle < warmUp + cycles; cycle++) {
                if (!created.isEmpty()) {
                    // the results of the last cycle's new users, as the results consumer records them
                    results.setAutoCommit(false);
                    try (Statement s = results.createStatement();
                            PreparedStatement p = results.prepareStatement(
                                    "INSERT INTO managed_object VALUES (?,?,'USER',?,?)")) {
                        s.execute("UPDATE managed_version SET version = nextval('managed_version_seq') + 1");
                        var rs = s.executeQuery("SELECT version FROM managed_version");
                        rs.next();
                        long version = rs.getLong(1);
                        for (String id : created) {
                            p.setString(1, JOB);
                            p.setString(2, id);
                            p.setString(3, "new user");
                            p.setLong(4, version);
                            p.addBatch();
                        }
                        p.executeBatch();
                    }
                    results.commit();
                    created.clear();
                }
                if (cycle > 0) {
                    for (int k = 0; k < 7; k++) {
                        users.get(random.nextInt(users.size())).put("displayName", "Renamed " + cycle + "." + k);
                    }
                    for (int k = 0; k < 3; k++) {
                        Map<String, Object> u = user(next++, random);
                        users.add(u);
                        members.get(random.nextInt(20)).add((String) u.get("id"));
                        created.add((String) u.get("id"));
                    }
                }
                Map<String, Object> root = new LinkedHashMap<>();
                root.put("appRoles", appRoles);
                root.put("users", users);
                root.put("groups", groups);
                root.put("assignments", assignments);
                Files.writeString(file, Json.write(root), StandardCharsets.UTF_8);
                boolean measured = cycle >= warmUp;
                long a0 = allocatedBytes();
                long t0 = cpu();
                Directory directory = source.read();
                long t1 = cpu();
                long a1 = allocatedBytes();
                ManagedObjectsCache.Taken taken = managedObjects.take(JOB).await().indefinitely();
                Map<String, ObjectType> managed = taken.objects();
                long t2 = cpu();
                long a2 = allocatedBytes();
                CyclePlanner.Planning planning = CyclePlanner.plan(walk ? null : memo, JOB, "c" + cycle, cycle == 0,
                        ProvisioningScope.ASSIGNED_ONLY, directory, snapshot, generation, taken, Instant.now());
                CyclePlan plan = planning.plan();
                long t3 = cpu();
                long a3 = allocatedBytes();
                managedObjects.keep(JOB, taken);
                SnapshotRepository.mirror(snapshot, plan.snapshotUpserts(), plan.snapshotNames(),
                        plan.snapshotRemovals());
                generation++;
                memo = planning.memo() == null ? null : planning.memo().at(generation);
                if (measured) {
                    incremental += planning.incremental() ? 1 : 0;
                    read[0] += t1 - t0;
                    managedRead[0] += t2 - t1;
                    planned[0] += t3 - t2;
                    allocated[0] += a1 - a0;
                    allocated[1] += a2 - a1;
                    allocated[2] += a3 - a2;
                }
                if (cycle == warmUp + cycles - 1 || cycle == 0) {
                    System.out.printf("cycle %d: %d events, %d users, %d managed (%s, %d read)%n", cycle,
                            plan.planned().size(), directory.users().size(), managed.size(),
                            taken.delta() ? "delta" : "full", taken.changed());
                }
            }
            System.out.printf("process CPU per incremental cycle (%d users, mean of %d cycles, %d planned from the "
                    + "memo): read %.1f ms, managed objects %.1f ms, plan %.1f ms%n", userCount, cycles, incremental,
                    read[0] / 1e6 / cycles, managedRead[0] / 1e6 / cycles, planned[0] / 1e6 / cycles);
            System.out.printf(
                    "allocated per incremental cycle (every thread): read %.1f MiB, managed objects %.1f MiB, "
                            + "plan %.1f MiB%n",
                    allocated[0] / 1048576.0 / cycles, allocated[1] / 1048576.0 / cycles,
                    allocated[2] / 1048576.0 / cycles);
            // the live set by structure: each dropped in turn, the heap after a full GC before and after (held in a
            // static array: a compiled main() would let its dead locals go before the first GC)
            users = null;
            groups = null;
            members = null;
            assignments = null;
            inAGroup = null;
            HELD[0] = memo;
            HELD[1] = snapshot;
            HELD[2] = managedObjects;
            HELD[3] = source;
            memo = null;
            snapshot = null;
            managedObjects = null;
            source = null;
            long all = heapAfterGc();
            if (Boolean.getBoolean("cost.histogram")) {
                System.out.println(histogram(30));
            }
            long[] without = new long[HELD.length];
            for (int i = 0; i < HELD.length; i++) {
                HELD[i] = null;
                without[i] = heapAfterGc();
            }
            System.out.printf("live set %.1f MiB: plan memo %.0f, snapshot %.0f, managed objects %.0f, element memo "
                    + "(the read) %.0f bytes per user; the rest %.1f MiB%n", all / 1048576.0,
                    (all - without[0]) / (double) userCount, (without[0] - without[1]) / (double) userCount,
                    (without[1] - without[2]) / (double) userCount, (without[2] - without[3]) / (double) userCount,
                    without[3] / 1048576.0);
            long before = heapAfterGc();
            Map<String, ObjectType> held = new ManagedObjectRepository(pool).all(JOB).await().indefinitely().objects();
            long after = heapAfterGc();
            System.out.printf("managed objects kept: %d objects, %.1f MiB of heap (%.0f bytes each)%n", held.size(),
                    (after - before) / 1048576.0, (after - before) / (double) held.size());
            results.close();
            pool.closeAndAwait();
            vertx.closeAndAwait();
        }
    }

    private static Map<String, Object> user(int i, Random random) {
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("id", UUID.nameUUIDFromBytes(("user-" + i).getBytes(StandardCharsets.UTF_8)).toString());
        u.put("userPrincipalName", "given.surname." + i + "@tenant.example");
        u.put("mail", "given.surname." + i + "@tenant.example");
        u.put("givenName", "Given" + random.nextInt(100));
        u.put("surname", "Surname" + random.nextInt(100));
        u.put("displayName", "Given Surname " + i);
        u.put("department", "Department " + random.nextInt(12));
        u.put("jobTitle", "Title " + random.nextInt(20));
        u.put("accountEnabled", random.nextDouble() > 0.02);
        return u;
    }

    /** The first {@code lines} lines of a class histogram of the live objects (a full GC). */
    private static String histogram(int lines) throws Exception {
        String all = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[]{null}, new String[]{String[].class.getName()});
        return String.join("\n", all.lines().limit(lines).toList());
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    /** Bytes allocated so far by the live threads (a thread that ended takes its count with it). */
    private static long allocatedBytes() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory
                .getThreadMXBean();
        long total = 0;
        for (long bytes : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            total += Math.max(0, bytes);
        }
        return total;
    }

    /** The process's CPU time, ns (every thread: the caller, the event loop, GC, JIT). */
    private static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
