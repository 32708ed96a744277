#!/usr/bin/env bash
# Installs dependencies, builds, and runs the demonstration (motcua demo).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
deploy/build.sh motcua   # the binary only: the tests are built by deploy/test.sh
exec build/motcua demo "$@"
