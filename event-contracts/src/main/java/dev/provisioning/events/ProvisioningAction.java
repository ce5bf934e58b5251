package dev.provisioning.events;

/** The action of a provisioning log record, named as Entra names them. */
public enum ProvisioningAction {
    Create, Update, Disable, Delete, StagedDelete, Other
}
