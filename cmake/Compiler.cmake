# Compiler settings shared by every target of the project.

# ccache, with the repository as base directory so that a clone in another
# folder (CI) hits the same cache entries.
find_program(MLXCPP_CCACHE ccache)
if(MLXCPP_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env CCACHE_BASEDIR=${PROJECT_SOURCE_DIR} CCACHE_NOHASHDIR=1
      ${MLXCPP_CCACHE})
endif()

# Flags every project target gets (not exported to users of the installed package).
add_library(mlxcpp_build_flags INTERFACE)
target_compile_options(mlxcpp_build_flags INTERFACE -Wall -Wextra)
if(MLXCPP_WERROR)
  target_compile_options(mlxcpp_build_flags INTERFACE -Werror)
endif()
if(MLXCPP_NATIVE)
  include(CheckCXXCompilerFlag)
  check_cxx_compiler_flag(-march=native MLXCPP_HAS_MARCH_NATIVE)
  if(MLXCPP_HAS_MARCH_NATIVE)
    target_compile_options(mlxcpp_build_flags INTERFACE -march=native)
  endif()
endif()
if(MLXCPP_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "MLXCPP_FUZZ needs clang (libFuzzer); use the fuzz preset")
  endif()
  # Coverage for libFuzzer in the library too; the fuzz targets link the fuzzer's main.
  target_compile_options(mlxcpp_build_flags INTERFACE -fsanitize=fuzzer-no-link)
  set(MLXCPP_SANITIZE ON)
endif()
if(MLXCPP_SANITIZE)
  target_compile_options(mlxcpp_build_flags INTERFACE -fsanitize=address,undefined
                                                     -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(mlxcpp_build_flags INTERFACE -fsanitize=address,undefined)
endif()
target_compile_definitions(mlxcpp_build_flags INTERFACE MLXCPP_BUILD_TYPE="${CMAKE_BUILD_TYPE}")
