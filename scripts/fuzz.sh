#!/usr/bin/env bash
# Build the libFuzzer targets (clang, ASan + UBSan) and run each for a while.
#   scripts/fuzz.sh [seconds per target, default 600] [targets...]
# Corpora live in build/fuzz/corpus/<target>, seeded from tests/fixtures and fuzz/seeds; a
# fuzz/<target>.dict is passed as the libFuzzer dictionary; crashes are written to
# build/fuzz/findings/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-600}"
shift || true
TARGETS=("${@:-safetensors gguf npy npz tokenizer_json sentencepiece chat_template prompt_cache}")
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
seed tokenizer_json fuzz/seeds/tokenizer_json/*.json tests/fixtures/lm/qwen3/tokenizer.json
seed sentencepiece tests/fixtures/tokenizers/albert-unigram/spiece.model
seed chat_template tests/fixtures/chat_templates/templates/*.jinja
seed prompt_cache fuzz/seeds/prompt_cache/*.safetensors

for t in "${TARGETS[@]}"; do
  echo "== $t: ${SECONDS_EACH}s"
  dict=()
  if [[ -f "fuzz/$t.dict" ]]; then dict=(-dict="fuzz/$t.dict"); fi
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    "build/fuzz/fuzz/${t}_fuzz" -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 \
    -malloc_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
    -artifact_prefix="build/fuzz/findings/$t/" \
    "build/fuzz/corpus/$t" 2>&1 | grep -E "^(#[0-9]+[[:space:]]+DONE|stat::|==[0-9]+==|SUMMARY|artifact_prefix|Test unit written)" || true
done
