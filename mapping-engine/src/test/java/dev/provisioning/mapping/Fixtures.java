package dev.provisioning.mapping;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.provisioning.events.Assignment;
import dev.provisioning.events.AssignmentEvent;
import dev.provisioning.events.ChangeKind;
import dev.provisioning.events.ObjectType;
import dev.provisioning.events.job.AttributeMapping;
import dev.provisioning.events.job.JobConfig;
import dev.provisioning.events.job.ProvisioningScope;
import dev.provisioning.events.job.ScopingFilter;
import dev.provisioning.events.job.TargetObjectActions;

/** Builders for jobs and assignment events in tests. */
public final class Fixtures {

    public static final Assignment USER_ROLE = new Assignment("7a8f1c9e-0000-4000-8000-000000000001", null);
    public static final Assignment DEFAULT_ACCESS = new Assignment(Assignment.DEFAULT_ACCESS, null);

    private Fixtures() {
    }

    /** A Druva job with the shipped defaults: assigned only, Default Access skipped, everything allowed. */
    public static JobConfig druvaJob() {
        return job(List.of(), List.of(), TargetObjectActions.ALL, false);
    }

    public static JobConfig job(List<AttributeMapping> mappings, List<ScopingFilter> filters,
            TargetObjectActions actions, boolean skipOutOfScopeDeletions) {
        return job(ProvisioningScope.ASSIGNED_ONLY, mappings, filters, actions, skipOutOfScopeDeletions);
    }

    public static JobConfig job(ProvisioningScope scope, List<AttributeMapping> mappings, List<ScopingFilter> filters,
            TargetObjectActions actions, boolean skipOutOfScopeDeletions) {
        return new JobConfig(JobConfig.SCHEMA_VERSION, "job-1", "Druva", null, "https://apis.druva.com/insync/scim",
                null, null, false, scope, true, null, actions, skipOutOfScopeDeletions, mappings, filters, null,
                null, 1, Instant.EPOCH);
    }

    /** A typical assigned, enabled user. */
    public static Map<String, Object> typicalUser() {
        Map<String, Object> a = new HashMap<>();
        a.put("userPrincipalName", "john.doe@contoso.com");
        a.put("mail", "John.Doe@contoso.com");
        a.put("givenName", "John");
        a.put("surname", "Doe");
        a.put("displayName", "John Doe");
        a.put("mailNickname", "jdoe");
        a.put("accountEnabled", true);
        a.put("department", "Sales");
        return a;
    }

    public static AssignmentEvent user(Map<String, Object> attributes, List<Assignment> assignments) {
        return event(ChangeKind.UPDATED, attributes, assignments);
    }

    public static AssignmentEvent event(ChangeKind change, Map<String, Object> attributes,
            List<Assignment> assignments) {
        return new AssignmentEvent(AssignmentEvent.SCHEMA_VERSION, "e-1", "job-1", "c-1", false, ObjectType.USER,
                "11111111-2222-3333-4444-555555555555", change, attributes, assignments, List.of(), Instant.EPOCH);
    }
}
