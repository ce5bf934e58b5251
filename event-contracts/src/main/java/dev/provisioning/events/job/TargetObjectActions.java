package dev.provisioning.events.job;

/** Entra's "Target Object Actions": which changes the job may make in Druva. All on by default. */
public record TargetObjectActions(boolean create, boolean update, boolean delete) {

    public static final TargetObjectActions ALL = new TargetObjectActions(true, true, true);
}
