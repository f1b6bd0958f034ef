#!/bin/sh
# render-tiles.sh - renders the density tiles of a hazmap store into a z/x/y directory for nginx
# (deploy/nginx/hazmap-locations.conf, location /prerendered/) and swaps it in at once: the
# tiles are written into a new directory beside the old one, then the symlink TILES is replaced
# by rename(2), so nginx never serves half a render; older renders are then removed.
# Run by hazmap-render-tiles.service (hazmap-render-tiles.timer); tests/integration/nginx.sh
# runs it too. Settings from the environment (defaults for the systemd units):
#   HAZMAP  the binary                 (/usr/local/bin/hazmap)
#   DB      the store                  (/var/lib/hazmap/hazmap.sqlite)
#   TILES   the symlink nginx serves   (/var/lib/hazmap/tiles)
#   ZOOM    zoom range                 (10-16)
#   RENDER_ARGS  more options of `hazmap render-tiles` (filters, --bandwidth, --threads)
set -eu
HAZMAP=${HAZMAP:-/usr/local/bin/hazmap}
DB=${DB:-/var/lib/hazmap/hazmap.sqlite}
TILES=${TILES:-/var/lib/hazmap/tiles}
ZOOM=${ZOOM:-10-16}
new=$TILES.$(date +%Y%m%d%H%M%S).$$
trap 'rm -rf "$new" "$TILES.next"' INT TERM
# shellcheck disable=SC2086 # RENDER_ARGS is a list of options
"$HAZMAP" render-tiles --db "$DB" --zoom "$ZOOM" ${RENDER_ARGS:-} -o "$new/"
ln -sfn "$(basename "$new")" "$TILES.next"
mv -T "$TILES.next" "$TILES"
for old in "$TILES".[0-9]*; do
  [ "$old" = "$new" ] || [ ! -d "$old" ] || rm -rf "$old"
done
