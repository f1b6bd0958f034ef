#!/usr/bin/env bash
# deps.sh - installs the Debian packages hazmap needs, and only those that are missing.
# Each line: how to tell it is present (pkg:NAME for pkg-config, cmd:NAME for a command,
# file:PATH for a file), then the Debian package that provides it.
set -euo pipefail
need=(
  "pkg:gdal libgdal-dev" "pkg:proj libproj-dev" "pkg:spatialite libspatialite-dev"
  "pkg:libmicrohttpd libmicrohttpd-dev" "pkg:check check" "pkg:jansson libjansson-dev"
  "pkg:libpng libpng-dev" "pkg:zlib zlib1g-dev" "pkg:sqlite3 libsqlite3-dev" "pkg:geos libgeos-dev"
  "pkg:libcrypto libssl-dev" "pkg:libxxhash libxxhash-dev" "pkg:cairo libcairo2-dev"
  "pkg:libpq libpq-dev" "file:/usr/lib/postgresql/15/bin/initdb postgresql-15"
  "file:/usr/share/postgresql/15/extension/postgis.control postgresql-15-postgis-3"
  "cmd:psql postgresql-client-15"
  "file:/usr/lib/x86_64-linux-gnu/libsubunit.a libsubunit-dev"
  "file:/usr/lib/x86_64-linux-gnu/mod_spatialite.so libsqlite3-mod-spatialite"
  "cmd:pkg-config pkg-config" "cmd:cc gcc" "cmd:ogrinfo gdal-bin" "cmd:sqlite3 sqlite3"
  "cmd:curl curl" "cmd:unzip unzip" "cmd:node nodejs" "cmd:npm npm" "cmd:chromium chromium"
  "cmd:python3 python3" "cmd:clang-format clang-format" "cmd:clang clang" "cmd:pdftoppm poppler-utils"
  "cmd:scan-build clang-tools" "cmd:cppcheck cppcheck"
  "file:/usr/share/fonts/truetype/wqy/wqy-microhei.ttc fonts-wqy-microhei"
  "file:/usr/lib/python3/dist-packages/qgis/core/__init__.py python3-qgis"
  "file:/usr/lib/qgis/plugins/libprovider_wfs.so qgis-providers"
  "file:/usr/sbin/nginx nginx" "cmd:openssl openssl"
)
missing=()
for entry in "${need[@]}"; do
  what=${entry%% *} pkg=${entry#* }
  case $what in
    pkg:*) pkg-config --exists "${what#pkg:}" 2>/dev/null && continue ;;
    cmd:*) command -v "${what#cmd:}" >/dev/null 2>&1 && continue ;;
    file:*) [ -e "${what#file:}" ] && continue ;;
  esac
  missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: not root; install these packages first: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
