#!/usr/bin/env bash
# Build the libFuzzer targets (clang, ASan + UBSan) and run each for a while.
#   scripts/fuzz.sh [seconds per target, default 600] [targets...]
# Corpora live in build/fuzz/corpus/<target>, seeded from tests/fixtures; crashes are
# written to build/fuzz/findings/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-600}"
shift || true
TARGETS=("${@:-safetensors gguf npy npz}")
read -r -a TARGETS <<< "${TARGETS[*]}"

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

seed() {  # target, glob of seed files
  local dir="build/fuzz/corpus/$1"
  mkdir -p "$dir" "build/fuzz/findings/$1"
  shift
  for f in "$@"; do cp -n "$f" "$dir/" 2>/dev/null || true; done
}
seed safetensors tests/fixtures/io/*.safetensors
seed gguf tests/fixtures/io/*.gguf
seed npy tests/fixtures/io/*.npy
seed npz tests/fixtures/io/npz/*.npz

for t in "${TARGETS[@]}"; do
  echo "== $t: ${SECONDS_EACH}s"
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    "build/fuzz/fuzz/${t}_fuzz" -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 \
    -malloc_limit_mb=2048 -print_final_stats=1 -artifact_prefix="build/fuzz/findings/$t/" \
    "build/fuzz/corpus/$t" 2>&1 | grep -E "^(#[0-9]+ +DONE|stat::|==[0-9]+==|SUMMARY|artifact_prefix|Test unit written)" || true
done
