#!/usr/bin/env bash
# `mlxcpp bench` beside llama.cpp's llama-bench on the same model shapes, quantization and
# thread counts: per (model, quant), random-weight GGUF files (bench/random_gguf) go through
# llama-bench, then mlxcpp bench runs the same tests, back to back (--rounds times); a table
# gives both tokens/s and the ratio mlxcpp / llama.cpp.
#
#   LLAMA_BENCH=/path/to/llama-bench scripts/bench_vs_llama_cpp.sh [options]
#
# Options (defaults in brackets):
#   --build DIR        mlxcpp build dir with tools/cli/mlxcpp and bench/random_gguf
#                      [$MLXCPP_BUILD or build/release]
#   --models LIST      qwen3-0.6b,llama-1b [both]
#   --quant LIST       q4,q8,bf16 [all]; llama.cpp gets Q4_0, Q8_0, BF16 GGUFs
#   --threads LIST     [1,2]
#   --tests LIST       ppN and tgN tests [pp512,tg128]
#   --depth N          tokens already in the KV cache when each test starts (llama-bench's
#                      -d; tests show as tg128@d4096) [0]
#   -r N               repetitions [3]
#   --rounds N         run both programs N times, alternating, and report each ratio's
#                      median and range over the rounds [1]; the machine's memory
#                      bandwidth drifts over minutes, and only a pair run close together
#                      compares like with like
#   --gguf-dir DIR     where the GGUFs go; existing files are reused
#                      [${TMPDIR:-/tmp}/mlxcpp-vs-llama-gguf]
#   --out DIR          raw outputs (llama-bench JSON, mlxcpp JSON lines), a new or empty
#                      directory [a temp dir]
#   --llama-args "..." extra llama-bench arguments (e.g. "-fa 1")
#
# Quantization differs in layout: llama.cpp's Q4_0 / Q8_0 use groups of 32 with one float16
# scale, mlxcpp's q4 / q8 MLX's affine groups of 64 (scale and bias); both quantize every
# matrix including the tied embedding (random_gguf writes "--pure"-style files).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${MLXCPP_BUILD:-$repo/build/release}
models=qwen3-0.6b,llama-1b
quants=q4,q8,bf16
threads=1,2
tests=pp512,tg128
depth=0
reps=3
rounds=1
gguf_dir=${TMPDIR:-/tmp}/mlxcpp-vs-llama-gguf
out_dir=
llama_args=

die() {
  echo "bench_vs_llama_cpp: $*" >&2
  exit 2
}

while [[ $# -gt 0 ]]; do
  [[ $# -ge 2 ]] || die "$1: unknown option or missing value (see the header of $0)"
  case $1 in
    --build) build=$2 ;;
    --models) models=$2 ;;
    --quant) quants=$2 ;;
    --threads) threads=$2 ;;
    --tests) tests=$2 ;;
    --depth) depth=$2 ;;
    -r | --repetitions) reps=$2 ;;
    --rounds) rounds=$2 ;;
    --gguf-dir) gguf_dir=$2 ;;
    --out) out_dir=$2 ;;
    --llama-args) llama_args=$2 ;;
    *) die "unknown option $1 (see the header of $0)" ;;
  esac
  shift 2
done

[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds: '$rounds' is not a positive integer"
[[ $depth =~ ^[0-9]+$ ]] || die "--depth: '$depth' is not a non-negative integer"
[[ -n ${LLAMA_BENCH:-} && -x ${LLAMA_BENCH} ]] || die "set LLAMA_BENCH to llama-bench's path"
mlxcpp=$build/tools/cli/mlxcpp
random_gguf=$build/bench/random_gguf
[[ -x $mlxcpp ]] || die "no $mlxcpp (build the mlxcpp_cli target)"
[[ -x $random_gguf ]] || die "no $random_gguf (build the random_gguf target)"

# ppN / tgN -> llama-bench's -p and -n lists (0 = none of that kind).
pp=() tg=()
IFS=, read -ra test_list <<<"$tests"
for t in "${test_list[@]}"; do
  case $t in
    pp[0-9]*) pp+=("${t#pp}") ;;
    tg[0-9]*) tg+=("${t#tg}") ;;
    *) die "--tests: '$t' is not ppN or tgN" ;;
  esac
done
pp_arg=$(IFS=,; echo "${pp[*]:-0}")
tg_arg=$(IFS=,; echo "${tg[*]:-0}")

mkdir -p "$gguf_dir"
if [[ -z $out_dir ]]; then
  out_dir=$(mktemp -d "${TMPDIR:-/tmp}/mlxcpp-vs-llama.XXXXXX")
fi
mkdir -p "$out_dir"
# The table reads every file there: results of another run would mix into its medians.
[[ -z $(ls -A "$out_dir") ]] || die "--out: $out_dir is not empty"

echo "# llama-bench: $LLAMA_BENCH ($("$LLAMA_BENCH" --version 2>&1 | head -1 || true))"
echo "# mlxcpp:      $mlxcpp ($(git -C "$repo" describe --always --dirty 2>/dev/null || echo '?'))"
echo "# raw output:  $out_dir"

IFS=, read -ra model_list <<<"$models"
IFS=, read -ra quant_list <<<"$quants"
for model in "${model_list[@]}"; do
  for quant in "${quant_list[@]}"; do
    case $quant in
      q4) type=q4_0 ;;
      q8) type=q8_0 ;;
      bf16) type=bf16 ;;
      *) die "--quant: '$quant' is not q4, q8 or bf16" ;;
    esac
    gguf=$gguf_dir/$model-$type.gguf
    if [[ ! -s $gguf ]]; then
      echo "# generating $gguf" >&2
      "$random_gguf" --model "$model" --type "$type" --out "$gguf" >&2
    fi
    for round in $(seq "$rounds"); do
      # Odd rounds run llama.cpp first, even rounds mlxcpp, so a drift in the machine's
      # bandwidth does not always favour the same program.
      order=(llama mlxcpp)
      ((round % 2 == 1)) || order=(mlxcpp llama)
      for program in "${order[@]}"; do
        if [[ $program == llama ]]; then
          echo "# round $round: llama-bench $model $type" >&2
          # shellcheck disable=SC2086  # llama_args is a list of words
          "$LLAMA_BENCH" -m "$gguf" -t "$threads" -p "$pp_arg" -n "$tg_arg" -d "$depth" -r "$reps" \
            -o json \
            $llama_args >"$out_dir/$model.$quant.$round.llama.json"
        else
          echo "# round $round: mlxcpp bench $model $quant" >&2
          "$mlxcpp" bench --models "$model" --quant "$quant" --threads "$threads" \
            --tests "$tests" --depth "$depth" --repetitions "$reps" --json \
            >"$out_dir/$model.$quant.$round.mlxcpp.jsonl"
        fi
      done
    done
  done
done
python3 - "$out_dir" <<'EOF'
import glob, json, os, sys

out = sys.argv[1]
# (model, quant, test, threads) -> round -> [mlxcpp (t/s, stddev), llama.cpp (t/s, stddev)]
rows = {}
for path in sorted(glob.glob(os.path.join(out, "*.llama.json"))):
    model, quant, rnd = os.path.basename(path)[: -len(".llama.json")].rsplit(".", 2)
    with open(path) as f:
        for r in json.load(f):
            test = f"pp{r['n_prompt']}" if r["n_prompt"] > 0 else f"tg{r['n_gen']}"
            if r.get("n_depth", 0) > 0:
                test += f"@d{r['n_depth']}"
            key = (model, quant, test, r["n_threads"])
            rows.setdefault(key, {}).setdefault(rnd, [None, None])[1] = (r["avg_ts"], r["stddev_ts"])
for path in sorted(glob.glob(os.path.join(out, "*.mlxcpp.jsonl"))):
    with open(path) as f:
        rnd = os.path.basename(path)[: -len(".mlxcpp.jsonl")].rsplit(".", 2)[2]
        for line in f:
            if line.strip():
                r = json.loads(line)
                test = r["test"] + (f"@d{r['depth']}" if r.get("depth", 0) > 0 else "")
                key = (r["model"], r["quant"], test, r["threads"])
                rows.setdefault(key, {}).setdefault(rnd, [None, None])[0] = (r["tokens_per_s"], r["stddev"])

def median(v):
    v = sorted(v)
    return (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2

def cell(v):
    """One round: mean ± stddev of its repetitions; more: median (range) over rounds."""
    if not v:
        return f"{'-':>25}"
    if len(v) == 1:
        return f"{v[0][0]:9.2f} ± {v[0][1]:<13.2f}"
    rates = [x[0] for x in v]
    return f"{median(rates):9.2f} ({min(rates):6.1f}-{max(rates):6.1f})"

print("One round: mean ± stddev of the repetitions. More: the median over rounds and its")
print("range; each ratio pairs the two programs of one round.")
print()
print("| model       | quant |     test     | threads |  mlxcpp t/s               |  llama.cpp t/s            | ratio             |")
print("|-------------|-------|--------------|---------|---------------------------|---------------------------|-------------------|")
for key in sorted(rows, key=lambda k: (k[0], k[1], not k[2].startswith("pp"), int(k[2][2:].split("@")[0]), k[3])):
    pairs = rows[key].values()
    m = [p[0] for p in pairs if p[0]]
    l = [p[1] for p in pairs if p[1]]
    ratios = [p[0][0] / p[1][0] for p in pairs if p[0] and p[1] and p[1][0] > 0]
    if not ratios:
        ratio = f"{'-':>17}"
    elif len(ratios) == 1:
        ratio = f"{ratios[0]:5.2f}{'':12}"
    else:
        ratio = f"{median(ratios):5.2f} ({min(ratios):4.2f}-{max(ratios):4.2f})"
    print(f"| {key[0]:<11} | {key[1]:<5} | {key[2]:>12} | {key[3]:>7} | {cell(m)} | {cell(l)} | {ratio} |")
EOF
