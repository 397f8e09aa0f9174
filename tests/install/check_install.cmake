# Install the build into WORK_DIR/prefix, then configure, build and run
# examples/quickstart against it with find_package(mlxcpp) and pkg-config.
file(REMOVE_RECURSE ${WORK_DIR})
set(PREFIX ${WORK_DIR}/prefix)

execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed")
endif()

foreach(f include/mlxcpp/mlxcpp.h include/mlxcpp/version.h include/mlxcpp/core/ops.h
          include/mlxcpp/backend/cpu/threadpool.h lib/cmake/mlxcpp/mlxcppConfig.cmake
          lib/pkgconfig/mlxcpp.pc bin/mlxcpp)
  if(NOT EXISTS ${PREFIX}/${f})
    message(FATAL_ERROR "missing from the install: ${f}")
  endif()
endforeach()

# The same compiler as the library; a sanitized library needs the sanitizer runtime too.
set(extra_flags "")
if(SANITIZE)
  set(extra_flags "-fsanitize=address,undefined")
endif()
# The installed command runs from the prefix (it finds the library through its rpath).
execute_process(COMMAND ${PREFIX}/bin/mlxcpp --version OUTPUT_VARIABLE version RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT version MATCHES "^mlxcpp ")
  message(FATAL_ERROR "the installed mlxcpp command failed: ${version}")
endif()

execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/quickstart -B ${WORK_DIR}/build
                        -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${PREFIX} -DCMAKE_BUILD_TYPE=Release
                        -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
                        "-DCMAKE_EXE_LINKER_FLAGS=${extra_flags}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the example against the installed package failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the example against the installed package failed")
endif()
execute_process(COMMAND ${WORK_DIR}/build/quickstart OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the example failed: ${out}")
endif()
# The quickstart prints a known result: sum of exp(0..3) * 2 over 2x2 ones grid.
if(NOT out MATCHES "sum = 10")
  message(FATAL_ERROR "unexpected output from the example: ${out}")
endif()

# pkg-config describes the same library.
find_program(PKG_CONFIG pkg-config)
if(PKG_CONFIG)
  set(ENV{PKG_CONFIG_PATH} ${PREFIX}/lib/pkgconfig)
  execute_process(COMMAND ${PKG_CONFIG} --cflags --libs mlxcpp OUTPUT_VARIABLE flags
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT flags MATCHES "-lmlxcpp")
    message(FATAL_ERROR "pkg-config mlxcpp failed: ${flags}")
  endif()
endif()
message(STATUS "install check passed: ${out}")
