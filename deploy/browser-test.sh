#!/usr/bin/env bash
# The web UI in a real browser (tests/browser/flow.mjs): Debian's chromium,
# headless, driven by playwright-core against build/motcua serve on loopback.
# Screenshots of every screen are left in build/screenshots/. Needs the
# motcua binary built (deploy/build.sh) and the packages of install-deps.sh.
#   deploy/browser-test.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
[ -x "$BUILD_DIR/motcua" ] || { echo "browser-test: $BUILD_DIR/motcua is not built" >&2; exit 1; }
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
[ -n "$CHROMIUM" ] || { echo "browser-test: chromium is not installed (deploy/install-deps.sh)" >&2; exit 1; }
cd tests/browser
# The exact versions of package-lock.json; from the npm cache when it has them.
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/axe-core ] ||
   ! cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null; then
  npm ci --prefer-offline --no-audit --no-fund --loglevel=error
fi
rm -rf "../../$BUILD_DIR/screenshots"
MOTCUA_BIN="../../$BUILD_DIR/motcua" CHROMIUM="$CHROMIUM" SCREENSHOTS="../../$BUILD_DIR/screenshots" \
  timeout 300 node flow.mjs
