#!/usr/bin/env bash
# Installs dependencies, builds the Release binary and runs the web UI's
# browser tests against it, packages it as a .deb and tests the package
# (installed and removed again on this machine, as root), then builds the tests with ASan/UBSan under
# clang (also -Wall -Wextra -Werror; the Release binary is GCC's) and runs every test there (the stored fuzz inputs of
# tests/fuzz/regressions are replayed by a unit test). The libFuzzer targets
# themselves run by hand: deploy/fuzz.sh [SECONDS]. docs/design/0005 says why
# (CI has 25 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each phase's wall time, printed at the end (CI has 25 minutes in all).
phase_start=$SECONDS
phases=""
phase_done() {
  phases="$phases$(printf '%5d s  %s' $((SECONDS - phase_start)) "$1")"$'\n'
  phase_start=$SECONDS
}
# The throwaway PostgreSQL cluster of the [postgres] tests (started before the
# ASan tests) is stopped and removed on every exit, also when a test fails.
pg_dir=""
on_exit() {
  if [ -n "$pg_dir" ]; then deploy/pg-test-cluster.sh stop "$pg_dir/cluster" || true; rm -rf "$pg_dir"; fi
  printf "== time by phase (total %d s)\n%s" "$SECONDS" "$phases"
}
trap on_exit EXIT
deploy/install-deps.sh
phase_done "install-deps"
deploy/build.sh motcua
phase_done "Release build of motcua"
echo "== the web UI in chromium (deploy/browser-test.sh, screenshots in build/screenshots/)"
deploy/browser-test.sh build
phase_done "browser tests"
echo "== the Debian package: build, contents, units, install, serve as the service user, remove (tests/package/)"
tests/package/package_test.sh
phase_done "package test"
echo "== every test under AddressSanitizer + UndefinedBehaviorSanitizer, built by clang (build-asan/)"
# clang 14 builds this tree in 40 % of GCC 12's time (design 0005).
cmake -S . -B build-asan -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Debug \
  "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g1" -DMOTCUA_SANITIZE=ON -DMOTCUA_TEST_POSTGRES=ON >/dev/null
cmake --build build-asan -j "$(nproc)" --target unit_tests motcua
phase_done "ASan build"
echo "== a throwaway PostgreSQL cluster for the [postgres] tests (deploy/pg-test-cluster.sh)"
# Its folder must be reachable by the cluster's user (postgres, when root).
pg_dir=$(mktemp -d /tmp/motcua-pg.XXXXXX)
chmod 0755 "$pg_dir"
MOTCUA_TEST_POSTGRES=$(deploy/pg-test-cluster.sh start "$pg_dir/cluster")
export MOTCUA_TEST_POSTGRES
phase_done "PostgreSQL test cluster start"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && MOTCUA_SIM_SCHEDULES=200 MOTCUA_PROCESS_DOSSIERS=1000 ctest --output-on-failure -j 2 --timeout 900)
phase_done "ASan tests (ctest)"
