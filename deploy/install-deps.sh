#!/usr/bin/env bash
# Installs every Debian package that motcua's build, tests and demo need.
# Idempotent and quiet when everything is already there. Run as root.
set -euo pipefail
PACKAGES=(
  g++ cmake ninja-build pkg-config make
  libsqlite3-dev libsqlitecpp-dev sqlite3
  libsodium-dev
  libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev
  nlohmann-json3-dev
  libboost-program-options-dev
  libarchive-dev  # backup archives (docs/design/0092-backup-archive-format.md)
  libpq-dev       # the hub's bookkeeping on PostgreSQL (docs/design/0100-postgres-hub-store.md)
  postgresql      # its tests run on a throwaway cluster (deploy/pg-test-cluster.sh, docs/design/0101)
  catch2
  libicu-dev      # Unicode NFC and diacritic folding (docs/design/0002-icu-for-unicode.md)
  curl            # the demo and tests talk to the daemon over loopback
  clang-14 libclang-rt-14-dev  # libFuzzer targets (deploy/fuzz.sh, docs/design/0040-fuzzing.md)
  chromium        # the web UI's browser tests (deploy/browser-test.sh, tests/browser/)
  dpkg-dev        # dpkg-shlibdeps: the .deb's Depends (deploy/package.sh)
  systemd strace  # the package test: systemd-analyze verify, the daemon's system calls (tests/package/)
)
# The browser tests run under Node.js with npm. A machine that already has
# them (e.g. Node.js 20 from another repository, whose nodejs package bundles
# npm and conflicts with Debian's npm) keeps its own; otherwise Debian's.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
