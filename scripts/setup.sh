#!/usr/bin/env bash
# Install the Debian packages mlxcpp needs (idempotent) and build it.
#   scripts/setup.sh            # packages + release build
#   MLXCPP_PRESET=debug scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  clang libclang-rt-14-dev        # the asan preset and libFuzzer
  libfmt-dev                      # formatting
  libcli11-dev                    # the mlxcpp command line
  zlib1g-dev                      # .npz (deflate)
  libcurl4-openssl-dev            # hub downloads
  nlohmann-json3-dev              # JSON (tests read fixture indexes; model configs later)
  libpcre2-dev                    # tokenizer regexes (JIT, Unicode properties)
  libutf8proc-dev                 # Unicode normalisation and categories (tokenizer)
  libsentencepiece-dev            # tokenizer.model (SentencePiece)
  libopenblas0                    # BLAS + LAPACK for matmul and linalg, loaded at run time
  libgtest-dev libgmock-dev       # tests
  libbenchmark-dev                # bench/
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PRESET="${MLXCPP_PRESET:-release}"
cmake --preset "$PRESET"
cmake --build --preset "$PRESET"
