# What `cmake --install build [--prefix P]` installs (P is /usr/local by
# default), and the Debian package of the same files that
# `cmake --build build --target package` makes (installed under /usr):
#
#   P/bin/tnps-server, P/bin/tnpsctl                  stripped in the package
#   P/lib/systemd/system/tnps-server.service          ExecStart points at P/bin
#   P/share/doc/tnps/examples/tnps-server.env         settings to copy to /etc/tnps
#   P/share/tnps/backup.sh, restore.sh                deploy/backup.sh and restore.sh
#   P/share/tnps/prometheus/                          scrape config, alert rules
#
# Nothing is written to /etc: settings and credentials are the operator's
# (deploy/systemd/tnps-server.service.in says which files).
include(GNUInstallDirs)

install(TARGETS tnps-server tnpsctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES deploy/systemd/tnps-server.env DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(PROGRAMS deploy/backup.sh deploy/restore.sh DESTINATION ${CMAKE_INSTALL_DATADIR}/tnps)
install(FILES deploy/prometheus/prometheus.yml deploy/prometheus/rules.yml
              deploy/prometheus/rules_test.yml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/tnps/prometheus)

# The unit names the binaries by absolute path, so it is written at install
# time, when the prefix is known: the package's (/usr) differs from the
# build's (/usr/local).
install(CODE "
  file(READ \"${CMAKE_SOURCE_DIR}/deploy/systemd/tnps-server.service.in\" unit)
  string(REPLACE \"@BINDIR@\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\" unit \"\${unit}\")
  string(REPLACE \"@DOCDIR@\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\" unit \"\${unit}\")
  set(unit_dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
  file(MAKE_DIRECTORY \"\${unit_dir}\")
  file(WRITE \"\${unit_dir}/tnps-server.service\" \"\${unit}\")
  message(STATUS \"Installing: \${unit_dir}/tnps-server.service\")
")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tnps)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "tnps developers <tnps@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "transactional NPS server: survey responses over gRPC, NPS analytics, training impact")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# Library dependencies from the binaries (dpkg-shlibdeps), plus what the
# scripts and the service need at run time.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "postgresql-client-15")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql-15, prometheus")
include(CPack)
