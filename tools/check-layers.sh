#!/usr/bin/env bash
# check-layers.sh - fails when a source file includes a header of a layer above its own.
#
# The layers, lowest first: geo (store, import, analysis and the shared model) < tiles < server
# < cli. A layer may include its own headers and those of the layers below it, never above:
# geo never includes tiles, server or cli headers; tiles never includes server or cli; server
# never includes cli. A header in include/hazmap/ belongs to the layer of the .c file of the same
# name (import.h and tokens.h, implemented by several files, are named below). Run by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A rank=([geo]=0 [tiles]=1 [server]=2 [cli]=3)
declare -A layer_of=([import]=geo [tokens]=geo)
for h in include/hazmap/*.h; do
  b=$(basename "$h" .h)
  [ -n "${layer_of[$b]:-}" ] && continue
  src=$(find geo tiles server cli -name "$b.c" | head -1)
  if [ -z "$src" ]; then
    echo "check-layers: $h has no $b.c in geo/, tiles/, server/ or cli/; name its layer in $0" >&2
    exit 1
  fi
  layer_of[$b]=${src%%/*}
done

bad=0
while IFS= read -r f; do
  own=${f%%/*}
  while IFS=: read -r line hdr; do
    b=$(basename "$hdr" .h)
    l=${layer_of[$b]:-}
    [ -n "$l" ] || { echo "$f:$line: includes unknown header hazmap/$b.h" >&2; bad=1; continue; }
    if [ "${rank[$l]}" -gt "${rank[$own]}" ]; then
      echo "$f:$line: $own/ includes hazmap/$b.h of the $l/ layer above it" >&2
      bad=1
    fi
  done < <(grep -no '#include "hazmap/[a-z0-9_]*\.h"' "$f" | sed 's/:#include "\(.*\)"/:\1/')
done < <(find geo tiles server cli -name '*.[ch]' | sort)

# Headers themselves: a header may only include headers of its own layer or below.
for h in include/hazmap/*.h; do
  own=${layer_of[$(basename "$h" .h)]}
  while IFS=: read -r line hdr; do
    l=${layer_of[$(basename "$hdr" .h)]:-geo}
    if [ "${rank[$l]}" -gt "${rank[$own]}" ]; then
      echo "$h:$line: a $own/ header includes hazmap/$(basename "$hdr") of the $l/ layer above it" >&2
      bad=1
    fi
  done < <(grep -no '#include "hazmap/[a-z0-9_]*\.h"' "$h" | sed 's/:#include "\(.*\)"/:\1/')
done

[ $bad -eq 0 ] || { echo "check-layers: FAIL (layers: geo < tiles < server < cli)" >&2; exit 1; }
echo "check-layers: ok (geo < tiles < server < cli)"
