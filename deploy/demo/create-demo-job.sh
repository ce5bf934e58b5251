#!/bin/sh
# The Compose file's demo job: creates one provisioning job that provisions the shipped demo directory into the local
# Druva-compatible server, unless a job of that name exists already (so `docker compose up` can run again).
# ADMIN_TOKEN: an access token with the role Provisioning.Admin (never printed).
set -eu
API="${JOBS_API:-http://change-detector:8080}"
NAME="Druva (demo)"
AUTH="Authorization: Bearer ${ADMIN_TOKEN:?ADMIN_TOKEN}"

if curl -fsS -H "$AUTH" "$API/jobs" | grep -q "\"name\":\"$NAME\""; then
  echo "job '$NAME' exists already"
  exit 0
fi
curl -fsS -X POST "$API/jobs" -H "$AUTH" -H 'Content-Type: application/json' --data @- <<JSON
{
  "name": "$NAME",
  "tenantUrl": "${DRUVA_TENANT_URL:-http://localhost:8090/insync/scim}",
  "secretToken": "${DRUVA_TOKEN:?DRUVA_TOKEN}",
  "notificationEmail": "admin@contoso.example",
  "notifyOnFailure": true,
  "provisioningStatus": "On",
  "cycleInterval": "PT30S",
  "source": {"type": "DIRECTORY_FILE", "directoryFile": "/directories/demo-directory.json"}
}
JSON
echo
echo "created job '$NAME': watch it at $API/jobs, in Grafana (http://localhost:3000) and in Mailpit (http://localhost:8025)"
