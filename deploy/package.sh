#!/usr/bin/env bash
# Builds the Debian package build/motcua_<version>_<arch>.deb from the Release
# build in build/ (deploy/build.sh motcua: a no-op when it is up to date; only
# the binary is built, never the tests). Needs dpkg-dev (dpkg-shlibdeps, which
# derives Depends from the libraries the binary links); CPack writes the
# archive with root:root owners itself (no fakeroot).
# Prints the path of the package on its last line.
#   deploy/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dpkg-shlibdeps >/dev/null || { echo "package.sh: dpkg-shlibdeps missing (apt-get install dpkg-dev)" >&2; exit 1; }
deploy/build.sh motcua >/dev/null
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' build/CMakeCache.txt)
deb=build/motcua_${version}_$(dpkg --print-architecture).deb
rm -f "$deb"
(cd build && cpack -G DEB --config CPackConfig.cmake >/dev/null) || {
  echo "package.sh: cpack failed; see build/_CPack_Packages/" >&2
  exit 1
}
[ -f "$deb" ] || { echo "package.sh: cpack did not produce $deb" >&2; exit 1; }
echo "$deb"
