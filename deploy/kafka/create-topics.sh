#!/bin/sh
# Creates the pipeline's topics (idempotent: existing topics are left as they are) with Kafka's own CLI.
#   BOOTSTRAP=kafka:9092 PARTITIONS=12 REPLICATION_FACTOR=3 sh deploy/kafka/create-topics.sh
# KAFKA_TOPICS names the kafka-topics.sh to use; COMMAND_CONFIG a client properties file (SASL/TLS) if the cluster
# needs one. Partitions bound the replicas that can share a consumer group: see deploy/README.md.
set -eu
BOOTSTRAP="${BOOTSTRAP:-localhost:9092}"
PARTITIONS="${PARTITIONS:-6}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-1}"
KAFKA_TOPICS="${KAFKA_TOPICS:-/opt/kafka/bin/kafka-topics.sh}"

create() {
  topic="$1"
  shift
  if [ -n "${COMMAND_CONFIG:-}" ]; then
    set -- --command-config "$COMMAND_CONFIG" "$@"
  fi
  "$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic "$topic" \
    --replication-factor "$REPLICATION_FACTOR" "$@"
}

# job configuration: keyed by job id and compacted, so every replica can read the current configuration from the
# start; one partition keeps it small and ordered
create provisioning.jobs --partitions 1 --config cleanup.policy=compact --config min.compaction.lag.ms=60000
create provisioning.jobs.dlq --partitions 1
# a group's assignment and operation carry its direct members' ids (about 39 bytes each): 16 MiB records (Kafka's
# default is 1 MiB, about 25,000 members) hold about 400,000; the producers set max.request.size to match
for topic in provisioning.assignments provisioning.operations; do
  create "$topic" --partitions "$PARTITIONS" --config max.message.bytes=16777216
  create "$topic.dlq" --partitions 1 --config max.message.bytes=16777216
done
for topic in provisioning.results provisioning.job-states; do
  create "$topic" --partitions "$PARTITIONS"
  create "$topic.dlq" --partitions 1
done
echo "topics ready on $BOOTSTRAP"
