# The Debian package (deploy/package.sh -> build/motcua_<version>_<arch>.deb).
# What goes where and why: docs/design/0090-debian-package.md. The install
# rules are relative to CPACK_PACKAGING_INSTALL_PREFIX "/", so a plain
# `cmake --install build --prefix /tmp/x` lays out /tmp/x/usr/bin/motcua, ...
set(_deb ${PROJECT_SOURCE_DIR}/deploy/debian)
install(TARGETS motcua RUNTIME DESTINATION usr/bin)
install(FILES ${_deb}/motcua.service ${_deb}/motcua-backup.service ${_deb}/motcua-backup.timer
        DESTINATION lib/systemd/system)
install(PROGRAMS ${_deb}/motcua-backup DESTINATION usr/lib/motcua)
install(FILES ${_deb}/copyright ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/install.md
              ${PROJECT_SOURCE_DIR}/docs/operations.md ${PROJECT_SOURCE_DIR}/docs/cli.md
        DESTINATION usr/share/doc/motcua)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME motcua)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR})
# The Maintainer field: set the real team address when packages leave the building
# (cmake -DMOTCUA_DEB_MAINTAINER="Name <address>").
set(MOTCUA_DEB_MAINTAINER "motcua maintainers <motcua@localhost>" CACHE STRING "Maintainer of the .deb")
set(CPACK_PACKAGE_CONTACT "${MOTCUA_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "offline-first one-stop-shop node (service point or provincial hub)")
# The first line of the control file's Description is the summary above.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION [=[motcua records every act on an administrative dossier in a local, signed,
hash-chained journal, keeps working offline and syncs with the provincial
hub when a link is up. The web UI is built into the binary. The package
runs it as the system user motcua (motcua.service, hardened), data in
/var/lib/motcua. Start with /usr/share/doc/motcua/install.md.]=])
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)   # motcua_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: dpkg-shlibdeps (dpkg-dev) reads the libraries the binary links and
# names the Debian packages and minimum versions that provide them; adduser
# is what postinst calls. deb-systemd-helper is in init-system-helpers (Essential).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${_deb}/postinst ${_deb}/prerm ${_deb}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_STRIP_FILES TRUE)
include(CPack)
