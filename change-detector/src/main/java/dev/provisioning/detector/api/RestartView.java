package dev.provisioning.detector.api;

import java.util.List;

/**
 * What a restart did.
 *
 * @param job the job after the restart
 * @param resetScope the reset scopes applied
 * @param discardedDeletions held deletions that were discarded
 * @param notApplied reset scopes this version cannot apply, with why
 */
public record RestartView(JobView job, List<String> resetScope, int discardedDeletions, List<String> notApplied) {
}
