/**
 * The mapping engine: Entra's user attribute mappings, scoping filters and entitlement rules for a Druva job, in plain
 * Java.
 *
 * <pre>
 * List&lt;ConfigError&gt; errors = MappingEngine.validate(jobConfig); // job API, on save
 * CompiledJob job = MappingEngine.compile(jobConfig);            // once per job revision
 * Decision decision = job.evaluate(assignmentEvent);              // per user or group, any thread
 * OperationPlanner.Plan plan = OperationPlanner.plan(assignmentEvent, decision, now, "mapper-service");
 * </pre>
 *
 * The module's README has the decision table (action, status and code per case) and every function's treatment of
 * null and empty arguments.
 *
 * Sub-packages: {@code expression} (the expression language's parser and functions), {@code scoping} (scoping
 * filters), {@code regex} (regular expressions with a bounded amount of work).
 */
package dev.provisioning.mapping;
