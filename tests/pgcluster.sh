# pgcluster.sh - a throwaway PostgreSQL 15 + PostGIS 3 cluster for the tests (sourced, not run).
#
#   . tests/pgcluster.sh; pgcluster_start || exit 1; trap pgcluster_stop EXIT
#
# pgcluster_start runs initdb into a new temporary directory, starts the server listening on a
# Unix socket in that directory only (listen_addresses='': no TCP), with fsync off (a test
# cluster), and creates the postgis extension in template1, so every database created from then on
# has it. It sets HZPG_DIR (the directory), HZPG (a libpq conninfo of the server without a
# database: append " dbname=NAME") and HZPG_DB (the conninfo of the database "hazmap", created).
# As root, the server runs as the user postgres (PostgreSQL refuses to run as root), which owns
# the directory. pgcluster_stop stops the server (immediate) and removes the directory.
# HZPG_FSYNC (default off) and HZPG_OPTS (more "-c name=value" server options, e.g. the bulk-load
# settings of bench/postgis.sh) tune the server when set before pgcluster_start.
HZPG_BIN=${HZPG_BIN:-/usr/lib/postgresql/15/bin}

pgcluster_run() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pgcluster_start() {
  if [ ! -x "$HZPG_BIN/initdb" ] || [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then
    echo "pgcluster: PostgreSQL 15 with PostGIS 3 is not installed (make deps)" >&2
    return 1
  fi
  HZPG_DIR=$(mktemp -d /tmp/hazmap-pg.XXXXXX) || return 1
  chmod 755 "$HZPG_DIR"
  local user
  user=$(id -un)
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$HZPG_DIR"; user=postgres; fi
  if ! pgcluster_run "$HZPG_BIN/initdb" -D "$HZPG_DIR/data" -A trust -U "$user" -E UTF8 \
      --locale=C.UTF-8 > "$HZPG_DIR/initdb.log" 2>&1; then
    echo "pgcluster: initdb failed:" >&2; cat "$HZPG_DIR/initdb.log" >&2
    return 1
  fi
  if ! pgcluster_run "$HZPG_BIN/pg_ctl" -D "$HZPG_DIR/data" -l "$HZPG_DIR/server.log" -w -t 60 \
      -o "-c listen_addresses='' -c unix_socket_directories='$HZPG_DIR' -c fsync=${HZPG_FSYNC:-off} \
-c max_connections=60 ${HZPG_OPTS:-}" start > /dev/null; then
    echo "pgcluster: the server did not start:" >&2; cat "$HZPG_DIR/server.log" >&2
    return 1
  fi
  HZPG="host=$HZPG_DIR user=$user"
  HZPG_DB="$HZPG dbname=hazmap"
  if ! psql -X -q -v ON_ERROR_STOP=1 "$HZPG dbname=template1" -c "CREATE EXTENSION postgis" ||
     ! psql -X -q -v ON_ERROR_STOP=1 "$HZPG dbname=postgres" -c "CREATE DATABASE hazmap"; then
    echo "pgcluster: cannot create the postgis extension" >&2
    return 1
  fi
  export HZPG_DIR HZPG HZPG_DB
}

pgcluster_stop() {
  [ -n "${HZPG_DIR:-}" ] && [ -d "$HZPG_DIR" ] || return 0
  pgcluster_run "$HZPG_BIN/pg_ctl" -D "$HZPG_DIR/data" -m immediate -w stop > /dev/null 2>&1
  rm -rf "$HZPG_DIR"
  HZPG_DIR=
}
