# `cmake --install`: the CLI and agent, libscalelab with its headers, a CMake package
# (find_package(scalelab) → scalelab::scalelab), scalelab.pc, and the shipped topologies and
# scenarios under share/scalelab.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS scalelab_shared EXPORT scalelabTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/scalelab DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT scalelabTargets NAMESPACE scalelab:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/scalelab)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/scalelabConfig.cmake.in
  ${PROJECT_BINARY_DIR}/scalelabConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/scalelab)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/scalelabConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/scalelabConfig.cmake ${PROJECT_BINARY_DIR}/scalelabConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/scalelab)
# Relocatable: the prefix is found from the .pc file's own place, so `cmake --install --prefix P`
# and an unpacked .deb both work.
string(REGEX REPLACE "[^/]+" ".." scalelab_pc_up "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
configure_file(${PROJECT_SOURCE_DIR}/cmake/scalelab.pc.in ${PROJECT_BINARY_DIR}/scalelab.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/scalelab.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The agent sits beside the CLI, where process::agent_binary() looks for it.
install(TARGETS scalelab scalelab-agent RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET scalelab-job-agent)
  install(TARGETS scalelab-job-agent RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/topologies ${PROJECT_SOURCE_DIR}/scenarios ${PROJECT_SOURCE_DIR}/jobs
  DESTINATION ${CMAKE_INSTALL_DATADIR}/scalelab)
# The chart library the HTML report inlines (report/chart_library.cpp looks in share/scalelab).
install(FILES ${PROJECT_BINARY_DIR}/report-assets/chart.umd.js ${PROJECT_BINARY_DIR}/report-assets/chart.js.LICENSE.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/scalelab/report-assets)

# The Python package (python/scalelab: a layer over the CLI's JSON, docs/python.md) and its
# dist-info, whose entry_points.txt registers the pytest plugin: with the .deb installed, Debian's
# python3 imports `scalelab` and pytest offers the `scalelab_cluster` fixture. Relative to the
# prefix: /usr/lib/python3/dist-packages in the .deb (CPACK_PACKAGING_INSTALL_PREFIX /usr).
set(SCALELAB_PYTHON_DIR lib/python3/dist-packages CACHE STRING "where the scalelab Python package is installed (relative: under the prefix)")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/python/scalelab DESTINATION ${SCALELAB_PYTHON_DIR}
  FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
set(scalelab_dist_info ${PROJECT_BINARY_DIR}/python/scalelab-${PROJECT_VERSION}.dist-info)
configure_file(${PROJECT_SOURCE_DIR}/python/dist-info/METADATA.in ${scalelab_dist_info}/METADATA @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/python/dist-info/entry_points.txt ${scalelab_dist_info}/entry_points.txt COPYONLY)
configure_file(${PROJECT_SOURCE_DIR}/python/dist-info/top_level.txt ${scalelab_dist_info}/top_level.txt COPYONLY)
file(WRITE ${scalelab_dist_info}/INSTALLER "cmake\n")
install(DIRECTORY ${scalelab_dist_info} DESTINATION ${SCALELAB_PYTHON_DIR})
