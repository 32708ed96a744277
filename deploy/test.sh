#!/usr/bin/env bash
# Installs dependencies, builds with -Wall -Wextra -Werror, runs every test,
# then builds a second tree with ASan/UBSan and runs the unit tests there,
# then runs each libFuzzer target for 10 s (deploy/fuzz.sh, build-fuzz/).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
deploy/build.sh
echo "== tests (build/)"
(cd build && ctest --output-on-failure -j 2 --timeout 600)
echo "== the web UI in chromium (deploy/browser-test.sh, screenshots in build/screenshots/)"
deploy/browser-test.sh build
echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g1" -DMOTCUA_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$(nproc)" --target unit_tests motcua
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The three multi-process sync soak tests (tests/test_costs.cmake) ran above in
# build/; under ASan they alone took 2.5 minutes of CI (docs/design/0005).
(cd build-asan && ctest --output-on-failure -j 2 --timeout 900 -L unit \
  -E 'real processes resume after being killed|a link cut after N bytes|converge whatever the link does')
echo "== fuzz targets, 10 s each (build-fuzz/)"
env -u ASAN_OPTIONS -u UBSAN_OPTIONS deploy/fuzz.sh 10
