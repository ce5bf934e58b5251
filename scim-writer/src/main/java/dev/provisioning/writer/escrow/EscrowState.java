package dev.provisioning.writer.escrow;

/** Why an object's operation waits in the {@code escrow} table. */
public enum EscrowState {
    /**
     * Failed transiently after its in-request retries; its Failure result, with the time of the retry
     * ({@code retryAt}), was emitted. Retried on Entra's escrow schedule ({@link EscrowSchedule}).
     */
    ESCROWED,
    /**
     * Not sent because the job's token is rejected (401: quarantine); its result was emitted. Retried when the job's
     * token changes or the job is started again, else dropped at the end of the escrow schedule.
     */
    HELD,
    /**
     * Not tried yet: its tenant's lane was full, or it waited there longer than {@code writer.lanes.max-wait}. No
     * result yet (it is not a failure); republished when the tenant's lane has room.
     */
    DEFERRED
}
