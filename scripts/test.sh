#!/usr/bin/env bash
# Build (if needed) and run the whole test suite through CTest.
#   scripts/test.sh              # release preset
#   MLXCPP_PRESET=asan scripts/test.sh
#   scripts/test.sh -L unit      # extra arguments go to ctest
set -euo pipefail
cd "$(dirname "$0")/.."

PRESET="${MLXCPP_PRESET:-release}"
if [ ! -f "build/$PRESET/CMakeCache.txt" ]; then
  cmake --preset "$PRESET"
fi
cmake --build --preset "$PRESET"
ctest --preset "$PRESET" "$@"
