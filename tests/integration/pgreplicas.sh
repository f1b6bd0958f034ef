#!/usr/bin/env bash
# pgreplicas.sh - tests/integration/replicas.sh on a PostGIS store (issue 14): a throwaway
# PostgreSQL 15 + PostGIS 3 cluster (tests/pgcluster.sh), the sample copied into it, two replicas
# on it: a POST on A seen by B within 1 s (LISTEN/NOTIFY), an import and a release by other
# processes seen by both, kill -9 of A while B serves, A restarted converges, and the public side
# answering from the release only.
# Env: HAZMAP (binary, default build/hazmap).
set -uo pipefail
cd "$(dirname "$0")/../.."
export HAZMAP=${HAZMAP:-build/hazmap}
. tests/pgcluster.sh
trap pgcluster_stop EXIT INT TERM
pgcluster_start || { echo "FAIL - cannot start a PostgreSQL cluster"; exit 1; }
REPLICAS_DB=$HZPG_DB bash tests/integration/replicas.sh
