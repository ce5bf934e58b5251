-- Issue 13, tenth round: a deferred operation is released by the replica that holds its object's partition of
-- provisioning.operations (the one that runs the object's later operations), straight into its lane. Null: deferred
-- before this column (released through Kafka on its key, as before).
ALTER TABLE escrow ADD COLUMN operations_partition INTEGER;
