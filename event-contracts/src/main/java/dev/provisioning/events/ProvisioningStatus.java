package dev.provisioning.events;

/** The status of a provisioning log record, named as Entra names them. */
public enum ProvisioningStatus {
    Success, Failure, Skipped, Warning
}
