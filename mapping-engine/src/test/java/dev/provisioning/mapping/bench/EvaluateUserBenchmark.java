package dev.provisioning.mapping.bench;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import dev.provisioning.events.Assignment;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.ProvisioningScope;
import dev.provisioning.events.job.ScopingClause;
import dev.provisioning.events.job.ScopingFilter;
import dev.provisioning.events.job.ScopingOperator;
import dev.provisioning.events.job.TargetObjectActions;
import dev.provisioning.mapping.CompiledJob;
import dev.provisioning.mapping.Decision;
import dev.provisioning.mapping.MappingEngine;

/**
 * Users decided per second by one thread: the Druva default mapping plus two scoping filters (one with a regex), over
 * 4,096 pre-built users (mostly in scope, some out of scope, Default Access only, disabled or without mail). Run with
 * {@code ./mvnw -pl mapping-engine -am -Pbenchmark -DskipTests verify}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EvaluateUserBenchmark {

    private static final int USERS = 4096;

    private CompiledJob job;
    private AssignmentEvent[] events;
    private int next;

    @Setup
    public void setUp() {
        List<ScopingFilter> filters = List.of(
                new ScopingFilter("sales in contoso", List.of(
                        new ScopingClause("department", ScopingOperator.EQUALS, "Sales"),
                        new ScopingClause("userPrincipalName", ScopingOperator.REGEX_MATCH,
                                "^[a-z.]+@contoso\\.com$"))),
                new ScopingFilter("engineering staff", List.of(
                        new ScopingClause("department", ScopingOperator.STARTS_WITH, "Eng"),
                        new ScopingClause("employeeId", ScopingOperator.GREATER_THAN, "1000"))));
        JobConfig config = new JobConfig(JobConfig.SCHEMA_VERSION, "bench", "Druva", null,
                "https://apis.druva.com/insync/scim", null, null, false, ProvisioningScope.ASSIGNED_ONLY, true, null,
                TargetObjectActions.ALL, false, List.of(), filters, null, null, 1, Instant.EPOCH);
        job = MappingEngine.compile(config);

        SplittableRandom random = new SplittableRandom(42);
        String[] departments = {"Sales", "Sales", "Engineering", "Engineering", "Marketing"};
        Assignment role = new Assignment("7a8f1c9e-0000-4000-8000-000000000001", null);
        Assignment defaultAccess = new Assignment(Assignment.DEFAULT_ACCESS, "group-1");
        events = new AssignmentEvent[USERS];
        for (int i = 0; i < USERS; i++) {
            String first = "user" + (char) ('a' + i % 26);
            String last = "last" + (char) ('a' + (i / 26) % 26);
            Map<String, Object> a = new HashMap<>();
            a.put("userPrincipalName", first + "." + last + "@contoso.com");
            if (random.nextInt(50) != 0) {
                a.put("mail", first + "." + last + "@contoso.com");
            }
            a.put("givenName", first);
            a.put("surname", last);
            a.put("displayName", first + " " + last);
            a.put("mailNickname", first + last);
            a.put("department", departments[random.nextInt(departments.length)]);
            a.put("employeeId", String.valueOf(random.nextInt(5000)));
            a.put("accountEnabled", random.nextInt(40) != 0);
            List<Assignment> assignments = new ArrayList<>();
            assignments.add(random.nextInt(30) == 0 ? defaultAccess : role);
            events[i] = new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, "e" + i, "bench", "c1", false,
                    ObjectType.USER, "id-" + i, ChangeKind.UPDATED, a, assignments, List.of(), Instant.EPOCH);
        }
    }

    @Benchmark
    public Decision evaluateUser() {
        AssignmentEvent event = events[next];
        next = (next + 1) & (USERS - 1);
        return job.evaluateUser(event);
    }
}
