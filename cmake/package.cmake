# `make package` (cpack): a .deb of what `cmake --install` installs, plus man pages generated from
# the CLI's own help and bash completion. Depends: computed by dpkg-shlibdeps from the binaries'
# libraries (libnl, fmt, boost_filesystem, …), so it names the Debian packages really used.
include(GNUInstallDirs)

set(scalelab_man_dir ${PROJECT_BINARY_DIR}/man)
add_custom_command(OUTPUT ${scalelab_man_dir}/scalelab.1
  COMMAND sh ${PROJECT_SOURCE_DIR}/cmake/man-pages.sh $<TARGET_FILE:scalelab> ${scalelab_man_dir} ${PROJECT_VERSION}
  DEPENDS scalelab ${PROJECT_SOURCE_DIR}/cmake/man-pages.sh
  COMMENT "man pages from scalelab --help (help2man)")
add_custom_target(scalelab_man ALL DEPENDS ${scalelab_man_dir}/scalelab.1)
install(DIRECTORY ${scalelab_man_dir}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 FILES_MATCHING PATTERN "*.1")
install(FILES ${PROJECT_SOURCE_DIR}/cmake/scalelab.bash-completion
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME scalelab)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME scalelab)
set(CPACK_PACKAGE_VENDOR scalelab)
set(CPACK_PACKAGE_CONTACT "scalelab developers <scalelab@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "AI GPU cluster emulated on one Linux machine (netns, veth, htb, ECMP)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Debug info stays in the build tree; the package carries stripped binaries.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# At run time, besides the libraries: `vm` boots qemu, `graph` draws with Graphviz.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "qemu-system-x86, graphviz")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nlohmann-json3-dev, libgtest-dev")
include(CPack)
