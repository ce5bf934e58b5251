package dev.provisioning.localstack;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import dev.provisioning.events.Topics;

/**
 * What each service may do on Kafka, and nothing more: the topics it reads (with its consumer groups) and the topics it
 * writes, dead-letter topics included. The same table is documented, as {@code kafka-acls.sh} commands, in
 * {@code deploy/kafka/ACLS.md}; the local run grants exactly these ACLs, so every end-to-end test runs the services
 * with them. READ and WRITE imply DESCRIBE; an idempotent producer needs no more than WRITE on its topics (KIP-679).
 */
public final class KafkaAcls {

    private KafkaAcls() {
    }

    /**
     * One service's ACLs.
     *
     * @param principal the Kafka user (SASL/SCRAM user name): the service's name
     * @param reads topics it consumes
     * @param writes topics it produces to
     * @param groups consumer groups it joins by exact name
     * @param groupPrefixes consumer groups it joins by prefix (one group per replica, for the compacted job catalog)
     */
    public record ServiceAcl(String principal, List<String> reads, List<String> writes, List<String> groups,
            List<String> groupPrefixes) {

        /** The ACL bindings that grant all of it (ALLOW, from any host). */
        public List<AclBinding> bindings() {
            List<AclBinding> bindings = new ArrayList<>();
            reads.forEach(t -> bindings.add(allow(ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.READ)));
            writes.forEach(t -> bindings.add(allow(ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.WRITE)));
            groups.forEach(g -> bindings.add(allow(ResourceType.GROUP, g, PatternType.LITERAL, AclOperation.READ)));
            groupPrefixes.forEach(
                    g -> bindings.add(allow(ResourceType.GROUP, g, PatternType.PREFIXED, AclOperation.READ)));
            return bindings;
        }

        /** The same ACLs as {@code kafka-acls.sh} commands, one per line, as {@code deploy/kafka/ACLS.md} shows them. */
        public List<String> commands() {
            List<String> commands = new ArrayList<>();
            String allow = "kafka-acls.sh --bootstrap-server $KAFKA --command-config admin.properties --add "
                    + "--allow-principal User:" + principal;
            reads.forEach(t -> commands.add(allow + " --operation Read --topic " + t));
            writes.forEach(t -> commands.add(allow + " --operation Write --topic " + t));
            groups.forEach(g -> commands.add(allow + " --operation Read --group " + g));
            groupPrefixes.forEach(
                    g -> commands.add(allow + " --operation Read --group " + g + " --resource-pattern-type prefixed"));
            return commands;
        }

        private AclBinding allow(ResourceType type, String name, PatternType pattern, AclOperation operation) {
            return new AclBinding(new ResourcePattern(type, name, pattern),
                    new AccessControlEntry("User:" + principal, "*", operation, AclPermissionType.ALLOW));
        }
    }

    /** Writes jobs (the API), assignment events and job state changes; reads results into the provisioning log. */
    public static final ServiceAcl CHANGE_DETECTOR = new ServiceAcl("change-detector",
            List.of(Topics.RESULTS),
            List.of(Topics.JOBS, Topics.ASSIGNMENTS, Topics.JOB_STATES, Topics.deadLetter(Topics.RESULTS)),
            List.of("change-detector"), List.of());

    /** Reads the job catalog and assignment events; writes SCIM operations and Skipped/Failure results. */
    public static final ServiceAcl MAPPER = new ServiceAcl("mapper-service",
            List.of(Topics.JOBS, Topics.ASSIGNMENTS),
            List.of(Topics.OPERATIONS, Topics.RESULTS, Topics.deadLetter(Topics.JOBS),
                    Topics.deadLetter(Topics.ASSIGNMENTS)),
            List.of("mapper-service"), List.of("mapper-service-jobs-"));

    /** Reads the job catalog and SCIM operations; writes results and escrow retries (back on operations). */
    public static final ServiceAcl WRITER = new ServiceAcl("scim-writer",
            List.of(Topics.JOBS, Topics.OPERATIONS),
            List.of(Topics.OPERATIONS, Topics.RESULTS, Topics.deadLetter(Topics.JOBS),
                    Topics.deadLetter(Topics.OPERATIONS)),
            List.of("scim-writer"), List.of("scim-writer-jobs-"));

    /** Reads the job catalog, results and job state changes; writes only to its dead-letter topics. */
    public static final ServiceAcl NOTIFIER = new ServiceAcl("notifier",
            List.of(Topics.JOBS, Topics.RESULTS, Topics.JOB_STATES),
            List.of(Topics.deadLetter(Topics.JOBS), Topics.deadLetter(Topics.RESULTS),
                    Topics.deadLetter(Topics.JOB_STATES)),
            List.of("notifier"), List.of("notifier-jobs-"));

    /** Every service's ACLs. */
    public static final List<ServiceAcl> ALL = List.of(CHANGE_DETECTOR, MAPPER, WRITER, NOTIFIER);

    /** The ACLs of the service with that principal. */
    public static ServiceAcl of(String principal) {
        return ALL.stream().filter(a -> a.principal().equals(principal)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no Kafka ACLs for " + principal));
    }
}
