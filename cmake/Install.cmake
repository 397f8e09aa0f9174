# Install rules: headers, library, CMake package and pkg-config file.
include(CMakePackageConfigHelpers)

install(TARGETS mlxcpp EXPORT mlxcppTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/mlxcpp/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mlxcpp
        FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/mlxcpp/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mlxcpp)

set(MLXCPP_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/mlxcpp)
install(EXPORT mlxcppTargets NAMESPACE mlxcpp:: DESTINATION ${MLXCPP_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mlxcppConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/mlxcppConfig.cmake
                              INSTALL_DESTINATION ${MLXCPP_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mlxcppConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mlxcppConfig.cmake ${PROJECT_BINARY_DIR}/mlxcppConfigVersion.cmake
        DESTINATION ${MLXCPP_CMAKE_DIR})

configure_file(${PROJECT_SOURCE_DIR}/cmake/mlxcpp.pc.in ${PROJECT_BINARY_DIR}/mlxcpp.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mlxcpp.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
