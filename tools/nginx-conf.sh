#!/usr/bin/env bash
# nginx-conf.sh - a runnable nginx configuration made of deploy/nginx/'s files themselves, for
# tests/integration/nginx.sh and bench/replicas.sh: only the ports and paths are substituted,
# and a value that is no longer in the template (the template changed) is an error, so the
# tested configuration cannot drift from the deployed one.
#
#   tools/nginx-conf.sh DIR NGINX_PORT TLS_PORT TILES_DIR TLS_DIR REPLICA_PORT...
#
# Writes DIR/nginx.conf (the main file: pid, logs, temporary files and the tile cache in DIR),
# DIR/hazmap-nginx.conf, DIR/hazmap-locations.conf and DIR/hazmap-proxy.conf. The upstream gets one server line
# per REPLICA_PORT (deploy's two lines are the first two; more are added after them). TLS_DIR
# must hold fullchain.pem and privkey.pem. Start it with `nginx -c DIR/nginx.conf -g 'daemon off;'`.
set -euo pipefail
[ $# -ge 6 ] || { echo "usage: tools/nginx-conf.sh DIR NGINX_PORT TLS_PORT TILES_DIR TLS_DIR REPLICA_PORT..." >&2; exit 2; }
cd "$(dirname "$0")/.."
dir=$1 nport=$2 tport=$3 tiles=$4 tls=$5
shift 5
mkdir -p "$dir/tmp" "$dir/cache"
chmod 777 "$dir/tmp" "$dir/cache"
# subst IN OUT FROM TO [FROM TO ...]
subst() {
  local in=$1 out=$2
  shift 2
  cp "$in" "$out"
  while [ $# -gt 0 ]; do
    grep -qF -- "$1" "$out" || { echo "nginx-conf.sh: $in no longer contains '$1'" >&2; exit 1; }
    sed -i "s#$1#$2#g" "$out"
    shift 2
  done
}
extra=""
for p in "${@:3}"; do extra+="    server 127.0.0.1:$p max_fails=1 fail_timeout=5s;\\n"; done
b=${2:-$1}
subst deploy/nginx/hazmap.conf "$dir/hazmap-nginx.conf" \
  'server 127.0.0.1:8081' "server 127.0.0.1:$1" \
  'server 127.0.0.1:8082 max_fails=1 fail_timeout=5s;' "server 127.0.0.1:$b max_fails=1 fail_timeout=5s;\\n$extra" \
  'listen 80;' "listen 127.0.0.1:$nport;" 'listen 443 ssl' "listen 127.0.0.1:$tport ssl" \
  '/etc/hazmap/tls/' "$tls/" '/etc/nginx/snippets/' "$dir/" '/var/cache/nginx/hazmap' "$dir/cache"
subst deploy/nginx/hazmap-locations.conf "$dir/hazmap-locations.conf" \
  '/var/lib/hazmap/tiles' "$tiles" '/etc/nginx/snippets/' "$dir/"
subst deploy/nginx/hazmap-proxy.conf "$dir/hazmap-proxy.conf" 'proxy_pass http://hazmap_replicas' \
  'proxy_pass http://hazmap_replicas'
cat > "$dir/nginx.conf" <<NG
worker_processes ${NGINX_WORKERS:-2};
pid $dir/nginx.pid;
error_log $dir/nginx-error.log;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  access_log ${NGINX_ACCESS_LOG:-$dir/nginx-access.log};
  client_body_temp_path $dir/tmp; proxy_temp_path $dir/tmp; fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp; scgi_temp_path $dir/tmp;
  include $dir/hazmap-nginx.conf;
}
NG
