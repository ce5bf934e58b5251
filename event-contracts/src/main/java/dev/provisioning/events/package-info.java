/**
 * The records exchanged on the provisioning topics, their JSON codec ({@link dev.provisioning.events.Json}) and Kafka
 * keys.
 *
 * <h2>Schema versions</h2>
 * Every record carries {@code schemaVersion}; a consumer rejects (dead-letters) a version above the one it reads
 * ({@link dev.provisioning.events.EventChecks#schemaVersion}). So the version changes only when an older reader would
 * misread a record:
 * <ul>
 * <li><b>Same version</b>: adding an optional field that may be null or absent. Older readers ignore it (unknown
 * properties are ignored), newer readers see null in older records, and nulls are not written. Example: the role's
 * value and display name on {@link dev.provisioning.events.Assignment}.</li>
 * <li><b>New version</b>: removing, renaming or retyping a field, making a field required, or giving an existing field
 * a new meaning. Readers of the new version keep reading the older ones; producers are upgraded after consumers.</li>
 * </ul>
 */
package dev.provisioning.events;
